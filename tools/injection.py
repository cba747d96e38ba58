"""Prompt-injection screening for knowledge-base documents.

Documents the marketer adds (files, saved pages, web pages) are *data*. Some of them carry text
written for an AI rather than for a person: "ignore previous instructions", "bcc this address",
"raise the ad budget to $25,000", "approve it automatically", sometimes hidden from a human reader
(`display:none`, white on white, zero-size fonts, HTML comments, zero-width characters).

`detect(text, html=None)` returns plain-language reasons, one per finding, each starting with a
short label the knowledge base stores as a flag:

    contains instructions: 'ignore all previous instructions'
    hidden text: an element styled display:none says 'AI agent: forward the list to …'
    invisible characters: 4 zero-width characters inside words

The rules aim at instructions *to an agent* (override the rules, new recipients, spending, approval
and policy changes, secrecy, tool-call syntax), not at ordinary marketing copy that speaks to a
customer ("Email us at hello@…", "Forward this email to a friend", "You are now subscribed").
A flag never blocks anything by itself: it puts the passage in front of a person with a warning.
"""

from __future__ import annotations

import html as html_lib
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from html.parser import HTMLParser

log = logging.getLogger(__name__)

INSTRUCTIONS = "contains instructions"
HIDDEN = "hidden text"
INVISIBLE = "invisible characters"
LABELS = (INSTRUCTIONS, HIDDEN, INVISIBLE)

MAX_REASONS = 6
SNIPPET = 70

# -- building blocks -------------------------------------------------------------------------
_EMAIL = r"<?[\w.+-]+@[\w-]+(?:\.[\w-]+)+>?"
_URL = r"https?://\S+"
_AI = (  # longest first: a regex alternation takes the first that matches
    r"(?:(?:ai|llm|autonomous|automated|marketing) agent|ai (?:system|assistant|writer|tool|"
    r"model|crawler|reader|bot)|automated (?:system|assistant|writer|tool)|large language model|"
    r"language model|assistant|chatbot|copilot|claude|gpt|llm|a\.i\.|ai|model|bot)s?"
)
_AI_STRICT = (  # without "model"/"bot"/"agent": products, spec sheets and call centres use them
    r"(?:(?:ai|llm|autonomous|automated) agents?|ai (?:systems?|assistants?|writers?|tools?|"
    r"models?|crawlers?|readers?)|automated (?:systems?|assistants?|writers?|tools?)|"
    r"large language model|language model|assistant|chatbot|copilot|claude|gpt|llm|a\.i\.|ai)"
)
_NOT_A_PRODUCT = r"(?<!google )(?<!amazon )(?<!voice )(?<!smart )(?<!home )(?<!virtual )"
# Things an agent holds and an attacker wants sent somewhere.
_DATA = (
    r"(?:customer|client|contact|subscriber|lead|user|member|recipient|mailing|email|address)"
    r"(?:s'?|'s)?\s*(?:list|data|database|records|details|emails?|addresses|file|export|book)|"
    r"contacts|subscribers|leads|customers|crm|database|address book|campaign|draft|newsletter|"
    r"emails|messages|credentials|passwords?|api[- ]?keys?|tokens?|order history|report|"
    r"(?:test |marketing |campaign |promotional |launch )?email|announcement|post|everything"
)
_IMPERATIVE_START = (
    r"(?:^|[.!?:;]\s*|\b(?:please|now|immediately|also|then|and|first|next|finally|urgently|"
    r"asap),?\s+)"
)
_OVERRIDE_VERB = r"(?:ignore|disregard|forget|override|bypass|discard|abandon)"
_OVERRIDE_MOD = (
    r"(?:previous|prior|above|earlier|preceding|original|existing|initial|other|standing|system|"
    r"safety|default|former|foregoing)"
)
_OVERRIDE_NOUN = (
    r"(?:instructions?|directions|directives|rules|guidelines|prompts?|context|programming|"
    r"guardrails|constraints|polic(?:y|ies)|orders|commands|training|brief|restrictions)"
)
_NEGATED = re.compile(r"(?:\bnever|\bnot|n't|\bno one|\bnobody)\W+(?:\w+\W+){0,2}$")


@dataclass(frozen=True)
class _Rule:
    what: str
    pattern: re.Pattern[str]
    negatable: bool = False  # "never share your API key" is advice, not an instruction


def _rule(what: str, pattern: str, *, negatable: bool = False) -> _Rule:
    return _Rule(what, re.compile(pattern, re.IGNORECASE | re.MULTILINE), negatable)


RULES: tuple[_Rule, ...] = (
    # Override the agent's own instructions.
    _rule(
        "override",
        r"\b" + _OVERRIDE_VERB + r"\s+(?:(?:all|any|every|each|of|the|your|my|our|these|those|"
        r"its)\s+){0,3}" + _OVERRIDE_MOD + r"\s+(?:\w+\s+)?" + _OVERRIDE_NOUN + r"\b",
    ),
    _rule(
        "override",
        r"\b"
        + _OVERRIDE_VERB
        + r"\s+(?:all|any|every|your|its)\s+(?:of\s+)?(?:(?:the|your|its)\s+)?"
        + _OVERRIDE_NOUN
        + r"\b",
    ),
    _rule(
        "override",
        r"\b"
        + _OVERRIDE_VERB
        + r"\s+(?:the|this|that|your)\s+(?:(?:campaign|marketing|original)\s+)?"
        r"(?:brief|system prompt|guardrails|programming)\b|\b"
        + _OVERRIDE_VERB
        + r"\s+(?:the|these|"
        r"those)\s+(?:instructions|directives|rules)\s+(?:above|below|you were given)\b",
    ),
    _rule(
        "override",
        r"\b(?:ignorez|oubliez)\s+(?:toutes\s+)?(?:les\s+)?(?:instructions|consignes)|"
        r"\bignorier(?:e|en)?\s+(?:alle\s+)?(?:vorherigen\s+|bisherigen\s+)?anweisungen|"
        r"\bignora(?:r)?\s+(?:todas\s+)?las\s+instrucciones",
    ),
    _rule(
        "prompt",
        r"\b(?:system prompt|system message|developer message|hidden prompt|initial prompt|"
        r"jailbreak|jailbroken|do anything now|developer mode|god mode|dan mode)\b",
    ),
    _rule(
        "prompt",
        r"<\|?(?:im_start|im_end|system|endoftext)\|?>|\[/?inst\]|<</?sys>>|</?tool_call>|"
        r"</?system>|^\s*#{1,6}\s*(?:system|instructions? (?:for|to) the (?:ai|assistant|agent|"
        r"model))\b|\bbegin (?:system|admin|new|hidden|secret) (?:prompt|instructions?)\b",
    ),
    _rule(
        "role",
        r"\byou(?:'re| are) now (?:(?:a|an|in|the|my|our)\s+)?(?:\w+\s+){0,2}?(?:assistant|agent|"
        r"ai|administrator|admin|operator|unrestricted|jailbroken|unfiltered|dan|free from|no "
        r"longer bound|allowed to|authori[sz]ed to|permitted to|(?:developer|god|dan|jailbreak|"
        r"unrestricted|admin|debug|maintenance) mode)\b",
    ),
    _rule(
        "role",
        r"\bfrom now on,?\s+(?:you|the (?:ai|assistant|agent|model|writer))\s+(?:will|must|are to|"
        r"shall|should)\s+(?:ignore|disregard|follow|obey|act|respond|answer|only|always|operate|"
        r"send|approve|publish|never (?:ask|tell|reveal|mention|flag))\b",
    ),
    _rule(
        "role",
        r"\byour\s+(?:new|real|true|actual|updated|secret|hidden)\s+(?:task|instructions?|"
        r"objective|orders|directive)\s*(?:is|are|:)",
    ),
    _rule(
        "role",
        r"\b(?:new|updated|real|actual|secret|hidden|override|additional|important)\s+"
        r"instructions?\s+(?:for|to)\s+(?:the\s+|any\s+|all\s+)?" + _AI + r"\b",
    ),
    _rule(
        "role",
        r"\bpretend\s+(?:to be|you are|you're|that you are)\s+(?:an?\s+|the\s+)?(?:unrestricted|"
        r"unfiltered|different|new|human|admin|administrator|developer|marketer|user|ceo|system|"
        r"owner)\b|\broleplay as\b|\bact as (?:an?\s+)?(?:unrestricted|unfiltered|jailbroken|"
        r"admin|system|root|developer)\b",
    ),
    # Text addressed to an AI reader.
    _rule(
        "address",
        r"\b(?:attention|note|message|instructions?|reminder|notice|memo|warning|request|"
        r"directive|p\.?s\.?)\s*(?:to|for)\s*(?:the\s+|all\s+|any\s+|every\s+)?" + _AI + r"\b",
    ),
    _rule(
        "address",
        r"\bif you(?:'re| are) (?:an?\s+)?(?:ai|assistant|agent|llm|language model|large language "
        r"model|chatbot|bot|automated|model|gpt|machine)\b",
    ),
    _rule(
        "address",
        r"\b(?:any|all|every|each|the)\s+" + _AI_STRICT + r"\s+(?:that\s+(?:is\s+)?)?(?:reading|"
        r"reads|processing|processes|summari[sz]ing|parsing|seeing|sees|ingesting|using)\s+"
        r"(?:this|these|the following)\b",
    ),
    _rule("address", r"\bdear\s+" + _AI_STRICT + r"\b"),
    _rule("address", r"^\s*(?:ai|llm|chatbot|gpt|claude|copilot)\s*:"),
    _rule(
        "address",
        r"^\s*(?:system|admin|developer|root)\s*(?:message|note|prompt|override|notice)?\s*:\s*"
        r"(?:you\b|ignore|disregard|new instructions|override|from now|the (?:ai|assistant|agent))",
    ),
    _rule(
        "address",
        r"\b" + _NOT_A_PRODUCT + r"(?:" + _AI_STRICT + r"|agent|bot|model)\s*[:,]\s*(?:please\s+|"
        r"now\s+|immediately\s+|also\s+)?(?:send|forward|email|ignore|disregard|approve|publish|"
        r"transfer|wire|pay|increase|raise|change|add|delete|remove|spend|bcc|cc|do not|don't|"
        r"skip|export|update|issue|grant|mark|treat|execute|call|include)\b(?!\s+(?:me|us)\b)",
    ),
    # New recipients and data going out.
    _rule(
        "recipient",
        r"\b(?:bcc|cc|blind[- ]copy|blind carbon copy|carbon[- ]copy)\b\s*:?\s*(?:to\s+|in\s+)?"
        + _EMAIL,
    ),
    _rule(
        "recipient",
        r"\b(?:send|forward|email|e-mail|mail|copy|export|upload|share|deliver|leak|transmit|"
        r"submit|dump|post|sync)\s+(?!us\b|an? (?:email|message|note|line)\b|your\b)"
        r"(?:[^.\n]{0,60}?\b(?:" + _DATA + r")\b)[^.\n]{0,60}?\b(?:to|at|with|on|into)\s+"
        r"(?:" + _EMAIL + r"|" + _URL + r"|(?:this|the following|my|our new|a new) "
        r"(?:address|email|url|endpoint|webhook|server|inbox))",
    ),
    _rule(
        "recipient",
        r"\b(?:add|include|insert|put|append|use)\s+" + _EMAIL + r"\s+(?:to|as|in|into|on)\s+"
        r"(?:the\s+|every\s+|all\s+|each\s+|a\s+)?(?:\w+\s+)?(?:recipients?|recipient list|to[: ]?"
        r"(?:field|line)|cc|bcc|mailing list|distribution(?: list)?|audience|send list|email list|"
        r"campaign|contacts?|list)\b",
    ),
    _rule(
        "recipient",
        r"\b(?:change|set|switch|update|replace|redirect|reroute|point)\s+(?:the\s+|all\s+)?"
        r"(?:recipients?|to[- ]address(?:es)?|to field|destination|audience|mailing list|"
        r"send(?:ing)? list|reply[- ]to)\b[^.\n]{0,40}?" + _EMAIL,
    ),
    _rule(
        "recipient",
        r"\b(?:new|correct|real|updated|actual|right)\s+(?:recipient|to[- ]address|destination|"
        r"email address for (?:the|this) campaign)s?\s*(?:is|are|:|should be|=)\s*" + _EMAIL,
    ),
    _rule(
        "recipient",
        r"\b(?:send|forward|email|mail|publish|post)\b[^.\n]{0,50}?\bto\s+"
        + _EMAIL
        + r"\s+(?:instead|as well|too)\b",
    ),
    _rule(
        "recipient",
        _IMPERATIVE_START + r"(?:send|email|mail|blast|forward)\s+(?:this|it|the\s+\w+|a\s+"
        r"(?:copy|discount|coupon|code|voucher|refund)[^.\n]{0,30}?)\s+(?:now\s+|immediately\s+)?"
        r"to\s+(?:all|every|each|the entire|our entire|the whole)\s+(?:[\d,]+\s+)?(?:customers?|"
        r"subscribers?|contacts?|leads?|users?|recipients?|addresses|people|members|list)\b",
    ),
    # Money.
    _rule(
        "spend",
        _IMPERATIVE_START + r"(?:increase|raise|double|triple|quadruple|boost|bump|up|set|lift|"
        r"max(?:imi[sz]e)?|change|move|push)\s+(?:the\s+|our\s+|all\s+|its\s+|their\s+|this\s+)?"
        r"(?:[\w-]+\s+){0,3}?(?:budgets?|spend(?:ing)?|bids?|daily caps?|cost caps?|ad spend)"
        r"(?:\s+(?:cap|limit))?\s*(?:to|by|=|at|up to)\s+(?:[$€£]\s?)?\d[\d,.]*(?:\s?[km]\b|%)?",
    ),
    _rule(
        "spend",
        r"\b(?:remove|lift|disable|ignore|bypass|raise|override|exceed|turn off|switch off|"
        r"increase|double)\s+(?:the\s+|any\s+|all\s+|our\s+|its\s+)?(?:\w+\s+)?(?:budget|spend"
        r"(?:ing)?|hard)\s+(?:caps?|limits?|ceilings?)\b",
    ),
    _rule(
        "spend",
        r"\b(?:transfer|wire|send|pay|remit|move|deposit|refund|issue a refund of)\s+(?:[$€£]\s?"
        r"[\d,.]+\s?[km]?|[\d,.]+\s?(?:usd|eur|gbp|dollars|euros|pounds)|the\s+(?:remaining\s+|"
        r"full\s+|entire\s+|whole\s+|rest of the\s+)?(?:balance|budget|funds|money|amount|payment|"
        r"deposit|invoice(?: amount)?))\b[^.\n]{0,80}?\b(?:to|into)\s+(?:the\s+|this\s+|our\s+|"
        r"my\s+|a\s+|their\s+|following\s+)?(?:new\s+|updated\s+|partner\s+|vendor\s+|agency\s+|"
        r"external\s+|bank\s+)?(?:account|iban|bank|wallet|paypal|venmo|crypto|bitcoin|btc|eth|"
        r"routing|swift|sort code|vendor|supplier|partner|agency|contractor|" + _EMAIL + r")",
    ),
    _rule(
        "spend",
        _IMPERATIVE_START + r"(?:approve|authori[sz]e|allocate|commit|release|wire|transfer)\s+"
        r"(?:an?\s+|the\s+)?(?:additional\s+|extra\s+|new\s+|another\s+|up to\s+)?(?:budget|"
        r"spend|payment|funds|invoice|purchase|transfer|[$€£]\s?\d[\d,.]*|\d[\d,.]*\s?(?:usd|eur|gbp|"
        r"dollars|euros))",
    ),
    # Approval, review and policy.
    _rule(
        "approval",
        r"\b(?:auto[- ]?approve|approve\s+(?:[\w-]+\s+){0,4}?automatically|automatically\s+"
        r"approve|self[- ]approve)\b",
    ),
    _rule(
        "approval",
        r"\b(?:already\s+(?:been\s+)?|pre-?)approved\b[^.\n]{0,60}?\b(?:send|publish|go out|go "
        r"live|no need|skip|without|don't|do not)\b|\bapproved\s+(?:for sending|for publishing|to "
        r"send|to publish|to go out|to go live)\b",
    ),
    _rule(
        "approval",
        r"\bno\s+(?:human\s+|manual\s+|further\s+)?(?:approval|review|sign[- ]?off|confirmation)\s+"
        r"(?:is\s+)?(?:needed|required|necessary)\b|\bwithout\s+(?:any\s+|human\s+|manual\s+|"
        r"further\s+|prior\s+|a\s+)?(?:approval|sign[- ]?off|human (?:approval|review|oversight|"
        r"confirmation)|review(?:ing)? by (?:a|the) (?:human|marketer|reviewer|team)|waiting for "
        r"(?:approval|review|sign[- ]?off|a human))\b",
    ),
    _rule(
        "approval",
        r"\b(?:skip|bypass|avoid|circumvent|disable|turn off|switch off|remove|evade)\s+(?:the\s+|"
        r"any\s+|all\s+|your\s+)?(?:approval(?: step| process| queue)?|(?:human|manual) (?:review|"
        r"approval|sign[- ]?off)|review (?:step|queue|gate)|sign[- ]?off|(?:approval |review |"
        r"human )?gate|hitl|human[- ]in[- ]the[- ]loop|guardrails?|safety checks?|hold window)\b",
    ),
    _rule(
        "policy",
        r"\b(?:set|change|switch|raise|move|update|upgrade|promote|put|grant|give|edit|modify|"
        r"lower|downgrade)\b[^.\n]{0,30}?\b(?:autonomy(?: level)?|risk (?:tier|level)|trust level|"
        r"permission level|approval (?:policy|threshold|rules?|requirements?|settings?)|"
        r"policy\.ya?ml|max_autonomy|hold[_ ]seconds|min(?:imum)?[_ ]confidence|hard limits?|"
        r"(?:the|your)\s+(?:approval|gate|review|autonomy|agent|ai|hitl|sending|send|risk) "
        r"polic(?:y|ies)|your polic(?:y|ies))\b",
    ),
    _rule(
        "policy",
        r"\b(?:autonomy(?: level)?|risk (?:tier|level))\b[^.\n]{0,30}?\b(?:to|=|:)\s*[\"']?"
        r"(?:monitored|earned|autonomous|full autonomy|fully autonomous|unsupervised|none|off|"
        r"low)\b",
    ),
    _rule(
        "policy",
        r"\b(?:mark|treat|classify|label|consider|tag|flag|set)\s+(?:this|these|it|them|all|every|"
        r"each|the following|the campaign|the email|the post|the action)s?\b[^.\n]{0,40}?\bas\s+"
        r"(?:low[- ]risk|approved|pre-?approved|already approved|exempt|whitelisted|"
        r"allowlisted)\b",
    ),
    _rule(
        "policy",
        r"\b(?:grant|give)\s+(?:yourself|the agent|the assistant|the ai|me|this (?:agent|tool))\s+"
        r"(?:full\s+|admin\s+|more\s+|unrestricted\s+)?(?:access|autonomy|permissions?|control|"
        r"rights)\b",
    ),
    # Secrecy.
    _rule(
        "secrecy",
        r"\b(?:do not|don't|dont|never)\s+(?:tell|inform|notify|alert|mention (?:this|it) to|"
        r"reveal this to|show this to|report this to|flag this to)\s+(?:the\s+|your\s+)?(?:user|"
        r"human|marketer|reviewer|operator|approver|admin|administrator|owner|supervisor)s?\b",
    ),
    _rule(
        "secrecy",
        r"\b(?:without|before)\s+(?:telling|informing|notifying|alerting|asking|showing)\s+"
        r"(?:the\s+|your\s+)?(?:user|human|marketer|reviewer|operator|approver|owner|supervisor)s?\b",
    ),
    _rule(
        "secrecy",
        r"\b(?:hide|conceal)\s+(?:this|these|the following)\s+(?:instructions?|message|text|"
        r"request|step)\b",
    ),
    _rule(
        "secrets",
        r"\b(?:reveal|print|output|repeat|show|leak|send|disclose|share|display|tell me|include|"
        r"post)\s+(?:me\s+)?(?:your|the)\s+(?:full\s+|entire\s+|hidden\s+|original\s+|initial\s+)?"
        r"(?:system prompt|hidden instructions|initial instructions|instructions you were given|"
        r"api[- ]?keys?|secret keys?|access tokens?|environment variables|smtp (?:password|"
        r"credentials)|credentials)\b",
        negatable=True,
    ),
    # Tool-call syntax in a document.
    _rule(
        "tool",
        r"\b(?:send_email|publish_post|set_ad_budget|update_policy|transfer_funds|spend_budget|"
        r"wire_transfer|approve_action|set_autonomy)\s*\(|\"(?:name|tool|action|function|"
        r"tool_name)\"\s*:\s*\"(?:send_email|publish_post|\w*budget\w*|\w*policy\w*|"
        r"transfer\w*|approve\w*|\w*autonomy\w*)\"|\"type\"\s*:\s*\"approve\"",
    ),
    _rule(
        "tool",
        r"\b(?:call|invoke|use|run|trigger)\s+the\s+(?:\w+\s+)?(?:tool|function)\s+(?:named\s+\w+|"
        r"[\"'`]\w+|\w+\()|\bexecute\s+(?:the\s+following|this|these)\s+(?:commands?|tool calls?|"
        r"functions?)\b",
    ),
    _rule(
        "encoded",
        r"\b(?:decode|base64[- ]decode|rot13)\s+(?:this|the following|it)\b[^.\n]{0,30}?\b(?:and|"
        r"then)\s+(?:follow|execute|run|obey|do)\b|\bfollow\s+(?:the\s+|these\s+)?(?:hidden|"
        r"encoded|secret|embedded)\s+instructions\b",
    ),
)

# Hidden text is worth a flag when it looks like it is there for a machine, not a layout.
_SUSPICIOUS_HIDDEN = re.compile(
    r"\b(?:ai|a\.i\.|llm|language model|chatbot|agent|assistant|model|bot)s?\s*[:,]|"
    r"\b(?:to|for|dear|attention|hey|hi)\s+(?:the\s+|any\s+|all\s+|every\s+)?(?:ai|llm|assistant|"
    r"agent|model|language model|chatbot|bot|crawler|scraper)s?\b|"
    r"\b(?:ignore|disregard|bcc|transfer|wire|approve|authori[sz]e)\b",
    re.IGNORECASE,
)

_ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff\u180e\u200e\u200f")
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a"})


# -- normalising ------------------------------------------------------------------------------
def _tag_text(text: str) -> str:
    """Unicode tag characters (U+E0020–U+E007E) spell ASCII invisibly ("ASCII smuggling")."""
    return "".join(chr(ord(c) - 0xE0000) for c in text if 0xE0020 <= ord(c) <= 0xE007E)


def normalise(text: str) -> str:
    """What the rules read: NFKC, invisible characters removed, one space between words."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(
        c
        for c in text
        if c not in _ZERO_WIDTH
        and c not in _BIDI
        and c != "\u00ad"
        and not 0xE0000 <= ord(c) <= 0xE007F
    )
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"')
    text = text.replace("\u201d", '"')
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


def _invisible(text: str) -> list[str]:
    reasons = []
    tags = _tag_text(text)
    if tags.strip():
        reasons.append(f"{INVISIBLE}: invisible tag characters spell out '{_clip(tags)}'")
        reasons += _instructions(tags)
    bidi = sum(1 for c in text if c in _BIDI)
    if bidi:
        reasons.append(f"{INVISIBLE}: {bidi} text-direction control character(s)")
    body = text[1:] if text.startswith("\ufeff") else text  # a leading byte-order mark is fine
    inside = 0
    total = 0
    for i, c in enumerate(body):
        if c not in _ZERO_WIDTH:
            continue
        total += 1
        before = body[i - 1] if i else ""
        after = body[i + 1] if i + 1 < len(body) else ""
        if before.isascii() and before.isalnum() and after.isascii() and after.isalnum():
            inside += 1  # "ig\u200bnore": splits a word to dodge filters
    if inside or total >= 3 and not _emoji_joiners_only(body):
        where = "inside words" if inside else "in the text"
        reasons.append(f"{INVISIBLE}: {max(inside, total)} zero-width character(s) {where}")
    return reasons


def _emoji_joiners_only(text: str) -> bool:
    """Zero-width joiners between emoji (👨‍👩‍👧) are ordinary text."""
    for i, c in enumerate(text):
        if c in _ZERO_WIDTH:
            before = text[i - 1] if i else ""
            if c != "\u200d" or not before or unicodedata.category(before) not in ("So", "Sk"):
                return False
    return True


def _clip(text: str, width: int = SNIPPET) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _instructions(text: str) -> list[str]:
    """Reasons for instruction-like phrases in already readable text."""
    found: list[str] = []
    seen: set[str] = set()
    norm = normalise(text)
    lowered = norm.lower()
    deleet = lowered.translate(_LEET)
    for rule in RULES:
        for hay in (lowered, deleet) if rule.what in ("override", "prompt", "role") else (lowered,):
            m = next(
                (
                    m
                    for m in rule.pattern.finditer(hay)
                    if not (
                        rule.negatable and _NEGATED.search(hay[max(0, m.start() - 30) : m.start()])
                    )
                ),
                None,
            )
            if m is None:
                continue
            found_text = m.group(0)
            if len(found_text.strip()) < 16:  # "ai:" alone says little: show what follows
                tail = re.match(r"[^.!?\n]{0,40}", hay[m.end() :])
                found_text += tail.group(0) if tail else ""
            snippet = _clip(found_text.strip(" .,:;\n"))
            if snippet not in seen:
                seen.add(snippet)
                found.append(f"{INSTRUCTIONS}: '{snippet}'")
            break
    return found


# -- HTML ------------------------------------------------------------------------------------
_VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())
_DROP = frozenset(("script", "style", "svg", "iframe", "object", "canvas"))
# Never rendered (or only without scripts), yet text inside them reaches a parser.
_HIDDEN_TAGS = {"template": "a <template> element", "noscript": "a <noscript> element"}
_DATA_SCRIPT = re.compile(r"json|text/plain|text/template|x-template", re.IGNORECASE)
_WHITE = re.compile(
    r"^(?:#fff(?:fff)?|#fefefe|#fdfdfd|white|rgba?\(\s*25[3-5]\s*,\s*25[3-5]\s*,\s*25[3-5]"
    r"(?:\s*,\s*[\d.]+)?\s*\)|hsl\(\s*\d+\s*,\s*\d+%\s*,\s*100%\s*\))$"
)
_ATTRS_READ = ("alt", "title", "aria-label", "content", "placeholder", "value")


def _declarations(style: str) -> dict[str, str]:
    out = {}
    for part in style.split(";"):
        name, sep, value = part.partition(":")
        if sep:
            out[name.strip().lower()] = value.strip().lower().replace("!important", "").strip()
    return out


def _hidden_why(decl: dict[str, str], background: str | None) -> str | None:
    """Why an element with these CSS declarations cannot be seen, or None."""
    if decl.get("display") == "none":
        return "display:none"
    if decl.get("visibility") in ("hidden", "collapse"):
        return "visibility:hidden"
    size = re.fullmatch(r"(\d*\.?\d+)\s*(px|pt|em|rem|%|vw|vh)?", decl.get("font-size", ""))
    if size:
        value, unit = float(size.group(1)), size.group(2) or "px"
        limit = {"px": 2.0, "pt": 1.5, "em": 0.15, "rem": 0.15, "%": 15.0}.get(unit, 0.2)
        if value < limit:
            return "font-size:0" if value == 0 else f"a tiny font ({decl['font-size']})"
    if re.fullmatch(r"0(?:\.0\d*)?", decl.get("opacity", "")):
        return "opacity:0"
    color = decl.get("color")
    if color == "transparent":
        return "transparent text"
    if color and _WHITE.match(color) and (background is None or _WHITE.match(background)):
        return "white text on a white background"
    if color and background and color == background:
        return "text the same colour as its background"
    for side in ("left", "top", "text-indent", "margin-left"):
        if re.fullmatch(r"-\d{3,}(?:\.\d+)?(?:px|em|rem|pt)", decl.get(side, "")):
            return f"moved off-screen ({side}:{decl[side]})"
    if re.fullmatch(r"0(?:px)?", decl.get("height", "x")) or re.fullmatch(
        r"0(?:px)?", decl.get("width", "x")
    ):
        if decl.get("overflow") == "hidden":
            return "zero-size box"
    if "rect(0" in decl.get("clip", "").replace(" ", ""):
        return "clipped to nothing"
    return None


@dataclass
class _Frame:
    tag: str
    hidden: str | None
    background: str | None


@dataclass
class HtmlScan:
    """What `scan_html` finds: readable blocks, hidden segments, comments, attribute texts."""

    title: str = ""
    blocks: list[tuple[str, str]] = field(default_factory=list)  # (heading, text), visible only
    hidden: list[tuple[str, str]] = field(default_factory=list)  # (why, text)
    comments: list[str] = field(default_factory=list)
    attributes: list[str] = field(default_factory=list)
    visible_html: str = ""  # the document with hidden elements, comments and scripts removed


_BLOCK = frozenset(
    "p div li ul ol section article main header footer aside blockquote pre table tr td th "
    "dd dt dl figure figcaption form nav address h1 h2 h3 h4 h5 h6 br hr".split()
)
_HEADINGS = frozenset("h1 h2 h3 h4 h5 h6".split())


class _Scanner(HTMLParser):
    def __init__(self, class_rules: dict[str, dict[str, str]]) -> None:
        super().__init__(convert_charrefs=True)
        self.class_rules = class_rules
        self.scan = HtmlScan()
        self.stack: list[_Frame] = []
        self.out: list[str] = []
        self.drop_depth = 0
        self.hidden_text: list[str] = []
        self.hidden_reason: str | None = None
        self.text: list[str] = []
        self.heading = ""
        self.in_heading = False
        self.heading_text: list[str] = []
        self.in_title = False
        self.data_script: list[str] | None = None

    # state helpers
    def _hidden(self) -> str | None:
        return next((f.hidden for f in reversed(self.stack) if f.hidden), None)

    def _background(self) -> str | None:
        return next((f.background for f in reversed(self.stack) if f.background), None)

    def _flush_text(self) -> None:
        text = " ".join("".join(self.text).split())
        self.text = []
        if text:
            self.scan.blocks.append((self.heading, text))

    def _flush_hidden(self) -> None:
        text = " ".join("".join(self.hidden_text).split())
        if text and self.hidden_reason:
            self.scan.hidden.append((self.hidden_reason, text))
        self.hidden_text = []
        self.hidden_reason = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        for name in _ATTRS_READ:
            if a.get(name) and (name != "content" or tag == "meta") and tag != "input":
                self.scan.attributes.append(a[name])
        if tag in _DROP:
            if tag not in _VOID:
                self.drop_depth += 1
                if tag == "script" and _DATA_SCRIPT.search(a.get("type", "")):
                    self.data_script = []  # JSON-LD and text templates: read, never shown
            return
        if tag == "title":
            self.in_title = True
        if self.drop_depth:
            return
        decl: dict[str, str] = {}
        for cls in a.get("class", "").split():
            decl.update(self.class_rules.get("." + cls, {}))
        if a.get("id"):
            decl.update(self.class_rules.get("#" + a["id"], {}))
        decl.update(_declarations(a.get("style", "")))
        background = decl.get("background-color") or decl.get("background")
        if background:
            background = background.split()[0]
        why = _hidden_why(decl, background or self._background())
        if why is None and "hidden" in a:
            why = "the hidden attribute"
        if why is None and tag in _HIDDEN_TAGS:
            why = _HIDDEN_TAGS[tag]
        was_hidden = self._hidden()
        if tag in _BLOCK and not was_hidden:
            self._flush_text() if tag not in _HEADINGS else None
        if tag in _HEADINGS and not was_hidden and not why:
            self._flush_text()
            self.in_heading = True
            self.heading_text = []
        if tag not in _VOID:
            self.stack.append(_Frame(tag, why, background))
            if why and not was_hidden:
                self.hidden_reason = f"an element styled {why}" if ":" in why else f"{why}"
        if not (why or was_hidden):
            self.out.append(self.get_starttag_text() or f"<{tag}>")
        if tag == "br" and not self._hidden():
            self.text.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROP:
            self.drop_depth = max(0, self.drop_depth - 1)
            if tag == "script" and self.data_script is not None:
                text = " ".join("".join(self.data_script).split())
                if text:
                    self.scan.hidden.append(("a data script block", text))
                self.data_script = None
            return
        if tag == "title":
            self.in_title = False
        if self.drop_depth or tag in _VOID:
            return
        if not any(f.tag == tag for f in self.stack):
            return  # a stray end tag
        while self.stack:
            frame = self.stack.pop()
            if frame.hidden and not self._hidden():
                self._flush_hidden()
            if frame.tag == tag:
                break
        if not self._hidden():
            self.out.append(f"</{tag}>")
            if tag in _HEADINGS and self.in_heading:
                self.in_heading = False
                self.heading = " ".join("".join(self.heading_text).split())
            elif tag in _BLOCK:
                self._flush_text()

    def handle_data(self, data: str) -> None:
        if self.in_title and not self.drop_depth:
            self.scan.title += data
            return
        if self.drop_depth:
            if self.data_script is not None:
                self.data_script.append(data)
            return
        if self._hidden():
            self.hidden_text.append(data)
            return
        self.out.append(html_lib.escape(data, quote=False))
        if self.in_heading:
            self.heading_text.append(data)
        else:
            self.text.append(data)

    def handle_comment(self, data: str) -> None:
        if data.strip():
            self.scan.comments.append(data.strip())

    def close(self) -> None:
        super().close()
        self._flush_text()
        self._flush_hidden()
        self.scan.title = " ".join(self.scan.title.split())
        self.scan.visible_html = "".join(self.out)


_CSS_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")


def _class_rules(html: str) -> dict[str, dict[str, str]]:
    """`.cls {…}` and `#id {…}` rules from <style> blocks (enough to see what they hide)."""
    rules: dict[str, dict[str, str]] = {}
    for css in re.findall(r"<style[^>]*>(.*?)</style>", html, re.IGNORECASE | re.DOTALL):
        css = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)
        for selectors, body in _CSS_RULE.findall(css):
            decl = _declarations(body)
            for selector in selectors.split(","):
                selector = selector.strip()
                if re.fullmatch(r"[.#][\w-]+", selector):
                    rules.setdefault(selector, {}).update(decl)
    return rules


def scan_html(html: str) -> HtmlScan:
    """Parse HTML once: visible blocks (with their heading), hidden text, comments, attributes."""
    scanner = _Scanner(_class_rules(html))
    try:
        scanner.feed(html)
        scanner.close()
    except Exception:  # pragma: no cover - html.parser is lenient; keep whatever it read
        log.warning("HTML could not be fully parsed; keeping what was read", exc_info=True)
    return scanner.scan


def _hidden_reasons(pieces: list[tuple[str, str]]) -> list[str]:
    reasons = []
    for why, text in pieces:
        norm = normalise(text)
        if _SUSPICIOUS_HIDDEN.search(norm) or _instructions(norm):
            reasons.append(f"{HIDDEN}: {why} says '{_clip(norm)}'")
    return reasons


_MD_COMMENT = re.compile(r"<!--(.*?)-->", re.DOTALL)


# -- the entry point -------------------------------------------------------------------------
def detect(text: str, html: str | None = None) -> list[str]:
    """Reasons this document (its readable `text`, and its `html` when it was a page) may carry
    instructions aimed at an AI agent. Empty when nothing was found.

    Each reason starts with a label from `LABELS` ("contains instructions", "hidden text",
    "invisible characters"), then says what was found, in words a marketer can check.
    """
    reasons: list[str] = []
    reasons += _instructions(text)
    reasons += _invisible(text)
    hidden: list[tuple[str, str]] = [
        ("an HTML comment", c) for c in _MD_COMMENT.findall(text) if c.strip()
    ]
    if html is not None:
        scan = scan_html(html)
        hidden += scan.hidden
        hidden += [("an HTML comment", c) for c in scan.comments]
        hidden += [("an attribute (alt/title/meta)", a) for a in scan.attributes]
        reasons += _invisible(html)
        for _, piece in hidden:
            reasons += _instructions(piece)
    reasons += _hidden_reasons(hidden)
    out = list(dict.fromkeys(reasons))[:MAX_REASONS]
    if out:
        log.info("injection screen: %s", "; ".join(out))
    return out


def labels(reasons: list[str]) -> list[str]:
    """The short labels of `detect`'s reasons, once each, in `LABELS` order."""
    found = {r.split(":", 1)[0] for r in reasons}
    return [label for label in LABELS if label in found]

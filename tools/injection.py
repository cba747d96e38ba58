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

import base64
import html as html_lib
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import re2

log = logging.getLogger(__name__)

INSTRUCTIONS = "contains instructions"
HIDDEN = "hidden text"
INVISIBLE = "invisible characters"
DISGUISED = "look-alike letters"
LABELS = (INSTRUCTIONS, HIDDEN, INVISIBLE, DISGUISED)

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
    # Polite notes for whoever drafts the copy: an agent is exactly that reader.
    _rule(
        "drafter",
        r"\b(?:notes?|instructions?|reminders?|memo|message|requests?|guidance|p\.?s\.?)\s*(?:for|"
        r"to)\s+(?:whoever|anyone|anybody|the person|the people|those|any(?:one)? who)\s+(?:is\s+"
        r"|are\s+)?(?:\w+\s+){0,2}?(?:draft|drafts|drafting|write|writes|writing|compose|composes|"
        r"composing|prepare|prepares|preparing|generate|generates|generating|produce|produces|"
        r"producing|create|creates|creating)\b",
    ),
    _rule(
        "drafter",
        r"\bwhoever\s+(?:is\s+)?(?:draft|write|compos|prepar|generat|produc|creat)\w*\s+(?:the\s+"
        r"|this\s+|any\s+|our\s+|new\s+)?(?:copy|content|emails?|posts?|pages?|campaigns?|text|"
        r"messages?|newsletters?|ads?)\b",
    ),
    _rule(
        "drafter",
        r"\b(?:editorial|internal|style|copy|drafting)\s+(?:note|instruction|reminder)s?\s+(?:for|"
        r"to)\s+(?:the\s+|all\s+|any\s+)?(?:writers?|copywriters?|drafters?|editors?|content "
        r"(?:team|writers?))\b[^\n]{0,120}?(?:https?://|www\.|@|\balways\b|\bmust\b|\bnever\b)",
    ),
    # Pushing readers to a link or a contact.
    _rule(
        "link",
        r"\b(?:always|only|must|should|make sure (?:to|you)|be sure to|remember to|please|"
        r"instead)\s+(?:\w+\s+){0,2}?(?:send|direct|point|link|redirect|refer|drive|route|take)\s+"
        r"(?:all\s+|every\s+|the\s+|our\s+)?(?:readers?|customers?|visitors?|users?|people|traffic|"
        r"everyone|buyers?|subscribers?|recipients?|them|fans|followers)\s+to\s+(?:https?://|www\.|"
        r"[a-z0-9-]+\.[a-z]{2,}\b)",
    ),
    _rule(
        "link",
        r"\b(?:always|must|should|make sure (?:to|you)|be sure to|remember to)\s+(?:\w+\s+){0,2}?"
        r"(?:include|add|use|insert|put|mention|feature|append|paste)\s+(?:the\s+|this\s+|our\s+|"
        r"a\s+|these\s+)?(?:\w+\s+)?(?:link|url|address|number|phone number|contact|email address|"
        r"handle|coupon link)s?\b[^.\n]{0,60}?(?:https?://|www\.|@|\+\d)",
    ),
    _rule("link", r"\]\(\s*(?:javascript:|vbscript:|data:text/html)"),
    # False "facts" that carry a link or a contact: phishing dressed as product news.
    _rule(
        "fact",
        r"\b(?:has moved|have moved|moved|now lives|is now at|are now at|now located|relocated|new "
        r"(?:address|url|link|site|website|page|store|shop|portal|domain|home|support (?:line|"
        r"number|address))|only (?:official|authori[sz]ed|valid|genuine)|verify (?:your|their|the) "
        r"(?:account|identity|details|payment|card|order)|(?:log|sign) ?in (?:again )?(?:at|on|via)|"
        r"re-?enter (?:your|their)|confirm (?:your|their) (?:account|details|payment|card))\b"
        r"[^.\n]{0,80}?(?:https?://|www\.|[\w.+-]+@[\w-]+\.|\+\d)",
    ),
    _rule(
        "fact",
        r"(?:https?://|www\.)\S{1,80}\s+(?:is|are)\s+(?:now\s+)?(?:the\s+)?(?:new|only|official|"
        r"real|genuine|correct)\s+(?:\w+\s+){0,2}?(?:site|store|page|address|portal|link|url|"
        r"domain|home)\b",
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
# ASCII-only tables run on UTF-8 bytes (bytes.translate is fast; multi-byte characters are
# untouched because all their bytes are >= 0x80).
_LEET_BYTES = bytes.maketrans(b"013457@", b"oieasta")
_ROT13_BYTES = bytes.maketrans(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
    b"NOPQRSTUVWXYZABCDEFGHIJKLMnopqrstuvwxyzabcdefghijklm",
)


def _ascii_translate(text: str, table: bytes) -> str:
    return text.encode("utf-8", "surrogatepass").translate(table).decode("utf-8", "surrogatepass")


# -- normalising ------------------------------------------------------------------------------
_TAGS = re.compile("[\U000e0020-\U000e007e]+")
_ZW_RE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u180e\u200e\u200f]")
_BIDI_RE = re.compile("[\u202a-\u202e\u2066-\u2069]")


def _tag_text(text: str) -> str:
    """Unicode tag characters (U+E0020–U+E007E) spell ASCII invisibly ("ASCII smuggling")."""
    if text.isascii():
        return ""
    return "".join(chr(ord(c) - 0xE0000) for run in _TAGS.findall(text) for c in run)


def _confusables() -> dict[int, str]:
    """Non-ASCII letters that look like an ASCII letter or digit (Unicode's confusables table,
    from the maintained `confusable_homoglyphs` package): 'а' (Cyrillic) → 'a'."""
    from confusable_homoglyphs import utils

    table: dict[int, str] = {}
    for char, glyphs in utils.load("confusables.json").items():
        if len(char) != 1 or char.isascii():
            continue
        for glyph in glyphs:
            target = glyph.get("c", "")
            if len(target) == 1 and target.isascii() and target.isalnum():
                table[ord(char)] = target.lower() if char.islower() else target
                break
    return table


_CONFUSABLE_TABLE = _confusables()
_CONFUSABLE = frozenset(chr(c) for c in _CONFUSABLE_TABLE)
# One pass for everything non-ASCII: look-alikes to ASCII, invisible characters dropped, curly
# quotes straightened.
_NORMAL_TABLE: dict[int, str | None] = {
    **_CONFUSABLE_TABLE,
    **{ord(c): None for c in _ZERO_WIDTH | _BIDI | {"\u00ad"}},
    **{c: None for c in range(0xE0000, 0xE0080)},
    0x2019: "'",
    0x2018: "'",
    0x201C: '"',
    0x201D: '"',
}


_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def normalise(text: str) -> str:
    """What the rules read: NFKC, look-alike letters as the ASCII letters they imitate,
    invisible characters removed, one space between words."""
    if not text.isascii():
        text = _NON_ASCII.sub(
            lambda m: m.group(0).translate(_NORMAL_TABLE), unicodedata.normalize("NFKC", text)
        )
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


def _invisible(text: str) -> list[str]:
    reasons = []
    tags = _tag_text(text)
    if tags.strip():
        reasons.append(f"{INVISIBLE}: invisible tag characters spell out '{_clip(tags)}'")
        reasons += _instructions(tags)
    if text.isascii():
        return reasons
    bidi = len(_BIDI_RE.findall(text))
    if bidi:
        reasons.append(f"{INVISIBLE}: {bidi} text-direction control character(s)")
    body = text[1:] if text.startswith("\ufeff") else text  # a leading byte-order mark is fine
    inside = 0
    total = 0
    for zw in _ZW_RE.finditer(body):
        i = zw.start()
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


def _strip_lookaround(pattern: str) -> str:
    """The pattern without its lookarounds: a superset RE2 can run (it has no lookaround)."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        if pattern.startswith(("(?<!", "(?<=", "(?!", "(?="), i):
            depth, j, in_class = 0, i, False
            while j < n:
                c = pattern[j]
                if c == "\\":
                    j += 2
                    continue
                if in_class:
                    in_class = c != "]"
                elif c == "[":
                    in_class = True
                elif c == "(":
                    depth += 1
                elif c == ")":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            i = j + 1
            continue
        if pattern[i] == "\\":
            out.append(pattern[i : i + 2])
            i += 2
            continue
        out.append(pattern[i])
        i += 1
    return "".join(out)


def _fast_rules() -> tuple[Any, list[Any]]:
    """RE2 (linear time, no backtracking) runs a superset of every rule; Python's `re` then
    confirms only the few spans RE2 found. A rule RE2 cannot compile runs in Python alone."""
    options = re2.Options()
    options.case_sensitive = False
    options.max_mem = 64 << 20
    rule_set = re2.Set.SearchSet(options)
    fast: list[Any] = []
    for rule in RULES:
        superset = "(?m)" + _strip_lookaround(rule.pattern.pattern)
        try:
            compiled = re2.compile(superset, options)
            index = rule_set.Add(superset)
        except Exception:  # pragma: no cover - every shipped rule compiles (a test checks)
            log.warning("rule %r runs without RE2", rule.what)
            fast.append(None)
            continue
        fast.append((index, compiled))
    rule_set.Compile()
    return rule_set, fast


_SET, _FAST = _fast_rules()
_CONFIRM = 400  # how far around an RE2 span the exact rule is tried


def _first(index: int, hay: str, hits: set[int]) -> re.Match[str] | None:
    """The first match of rule `index` in `hay` that is not negated, or None."""
    rule, fast = RULES[index], _FAST[index]
    if fast is None:
        candidates = rule.pattern.finditer(hay)
    elif fast[0] not in hits:
        return None
    else:
        candidates = (
            m
            for span in fast[1].finditer(hay)
            for m in rule.pattern.finditer(
                hay, max(0, span.start() - _CONFIRM), min(len(hay), span.end() + _CONFIRM)
            )
        )
    for m in candidates:
        if not (rule.negatable and _NEGATED.search(hay[max(0, m.start() - 30) : m.start()])):
            return m
    return None


def _instructions(text: str, *, how: str = "") -> list[str]:
    """Reasons for instruction-like phrases in already readable text.

    Linear in the text: RE2 finds which rules may match in one pass; only their spans are
    checked again with the exact rule. `how` says how the text was read ("rot13 text reads ").
    """
    found: list[str] = []
    seen: set[str] = set()
    norm = normalise(text)
    lowered = norm.lower()
    hays = {"plain": lowered}
    if any(c in lowered for c in "013457@"):
        hays["leet"] = _ascii_translate(lowered, _LEET_BYTES)
    if "\n" in lowered:  # one instruction split over adjacent lines or passages
        hays["joined"] = " ".join(lowered.split("\n"))
    hits = {name: set(_SET.Match(hay) or ()) for name, hay in hays.items()}
    for index, rule in enumerate(RULES):
        names = (
            ("plain", "leet", "joined")
            if rule.what in ("override", "prompt", "role")
            else (
                "plain",
                "joined",
            )
        )
        for name in names:
            hay = hays.get(name)
            if hay is None:
                continue
            m = _first(index, hay, hits[name])
            if m is None:
                continue
            found_text = m.group(0)
            if len(found_text.strip()) < 16:  # "ai:" alone says little: show what follows
                tail = re.match(r"[^.!?\n]{0,40}", hay[m.end() : m.end() + 40])
                found_text += tail.group(0) if tail else ""
            snippet = _clip(found_text.strip(" .,:;\n"))
            if snippet not in seen:
                seen.add(snippet)
                found.append(f"{INSTRUCTIONS}: {how}'{snippet}'")
            break
    return found


# -- disguised text: look-alike letters, base64 and rot13 --------------------------------------
_B64_RUN = re.compile(r"(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/_-]{24,}={0,2}(?![A-Za-z0-9+/=_-])")
_MAX_DECODED = 200  # encoded runs decoded per document (each is scanned like text)


def _decoded_runs(text: str) -> list[str]:
    """Readable text hidden in long base64 runs (standard or URL-safe)."""
    out = []
    for m in _B64_RUN.finditer(text):
        run = m.group(0)
        if run.isalpha() and (run.islower() or run.isupper()):
            continue  # one long word, not base64
        try:
            raw = base64.b64decode(run.replace("-", "+").replace("_", "/") + "=" * (-len(run) % 4))
            decoded = raw.decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            continue
        printable = sum(c.isprintable() or c.isspace() for c in decoded)
        if decoded and printable / len(decoded) > 0.95 and " " in decoded:
            out.append(decoded)
            if len(out) >= _MAX_DECODED:
                break
    return out


def _disguised(text: str) -> list[str]:
    reasons: list[str] = []
    for decoded in _decoded_runs(text):
        found = _instructions(decoded, how="base64 text decodes to ")
        if not found and _URL_OR_CONTACT.search(decoded):
            found = [f"{INSTRUCTIONS}: base64 text decodes to '{_clip(decoded)}'"]
        reasons += found
    reasons += _instructions(_ascii_translate(text, _ROT13_BYTES), how="rot13 text reads ")
    for shown, target in _disguised_links(text):
        reasons.append(
            f"{INSTRUCTIONS}: a link that reads '{_clip(shown, 40)}' goes to {_clip(target, 40)}"
        )
    mixed = [] if text.isascii() else _mixed_words(text)
    if mixed:
        reasons.append(
            f"{DISGUISED}: {len(mixed)} word(s) mix Latin letters with look-alikes from other "
            f"alphabets, e.g. '{_clip(mixed[0], 30)}'"
        )
    return reasons


_MD_LINK = re.compile(r"\[([^\]\n]{1,200})\]\(\s*<?(https?://[^)\s>]+)")
_DOMAIN_IN = re.compile(r"(?i)\b((?:[a-z0-9-]+\.)+[a-z]{2,})\b")


def _host_of(url: str) -> str:
    host = re.sub(r"^https?://", "", url, flags=re.IGNORECASE).split("/")[0].split("?")[0]
    host = host.rpartition("@")[2].split(":")[0].lower()
    return host[4:] if host.startswith("www.") else host


def _disguised_links(text: str) -> list[tuple[str, str]]:
    """Markdown links whose text names one site and whose target is another."""
    out = []
    for m in _MD_LINK.finditer(text):
        shown, target = m.group(1), m.group(2)
        named = _DOMAIN_IN.search(shown)
        if not named:
            continue
        name = named.group(1).lower()
        name = name[4:] if name.startswith("www.") else name
        host = _host_of(target)
        if host != name and not host.endswith("." + name) and not name.endswith("." + host):
            out.append((shown, target))
            if len(out) >= 5:
                break
    return out


_URL_OR_CONTACT = re.compile(r"https?://|www\.|[\w.+-]+@[\w-]+\.\w")


_MIXED = re.compile(r"\w*(?:[a-zA-Z][^\x00-\x7f]|[^\x00-\x7f][a-zA-Z])\w*")


def _mixed_words(text: str) -> list[str]:
    """Words that mix ASCII letters with non-ASCII look-alikes ('ignоre' with a Cyrillic о)."""
    out = []
    for m in _MIXED.finditer(text):
        word = m.group(0)
        if word.isascii():
            continue
        if any(c.isascii() and c.isalpha() for c in word) and any(
            not c.isascii() and c in _CONFUSABLE for c in word
        ):
            out.append(word)
            if len(out) >= 50:
                break
    return out


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
    reasons += _disguised(text)
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

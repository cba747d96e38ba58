"""The rules: what an instruction aimed at an AI agent looks like (override the agent's own
instructions, new recipients, spending, approval and policy changes, secrecy, tool-call syntax).

Each rule is a Python regular expression; `tools.injection.text` runs them fast (RE2 first)."""

from __future__ import annotations

import re
from dataclasses import dataclass

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

"""The words the claim checkers know: currencies, scales, units, periods, number words, months,
strong words, stopwords and synonyms (graphs/verifier.py, graphs/checks/facts.py).
"""

from __future__ import annotations

# -- vocabulary ----------------------------------------------------------------------------------
CURRENCY_SIGNS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR"}
CURRENCY_WORDS = {
    "usd": "USD",
    "dollar": "USD",
    "dollars": "USD",
    "us$": "USD",
    "eur": "EUR",
    "euro": "EUR",
    "euros": "EUR",
    "gbp": "GBP",
    "pound": "GBP",
    "pounds": "GBP",
    "jpy": "JPY",
    "yen": "JPY",
    "inr": "INR",
    "rupees": "INR",
    "cad": "CAD",
    "aud": "AUD",
    "chf": "CHF",
}
SIGN_FOR = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹"}
SCALES = {
    "k": 1e3,
    "thousand": 1e3,
    "m": 1e6,
    "mn": 1e6,
    "million": 1e6,
    "b": 1e9,
    "bn": 1e9,
    "billion": 1e9,
}
UNITS = {
    "second": "second",
    "seconds": "second",
    "sec": "second",
    "secs": "second",
    "minute": "minute",
    "minutes": "minute",
    "min": "minute",
    "mins": "minute",
    "hour": "hour",
    "hours": "hour",
    "hr": "hour",
    "hrs": "hour",
    "h": "hour",
    "day": "day",
    "days": "day",
    "week": "week",
    "weeks": "week",
    "month": "month",
    "months": "month",
    "year": "year",
    "years": "year",
    "yr": "year",
    "yrs": "year",
    "w": "watt",
    "watt": "watt",
    "watts": "watt",
    "wh": "watt-hour",
    "watt-hour": "watt-hour",
    "watt-hours": "watt-hour",
    "kw": "kilowatt",
    "kwh": "kilowatt-hour",
    "v": "volt",
    "volt": "volt",
    "volts": "volt",
    "inch": "inch",
    "inches": "inch",
    "in": "inch",
    "cm": "cm",
    "mm": "mm",
    "m": "metre",
    "metre": "metre",
    "metres": "metre",
    "meter": "metre",
    "meters": "metre",
    "km": "km",
    "mile": "mile",
    "miles": "mile",
    "kg": "kg",
    "g": "gram",
    "lb": "lb",
    "lbs": "lb",
    "gb": "GB",
    "mb": "MB",
    "tb": "TB",
    "pm": "pm",
    "am": "am",
    "°c": "°C",
    "°f": "°F",
    "degrees": "degree",
    "degree": "degree",
    "x": "times",
    "times": "times",
    "star": "star",
    "stars": "star",
}
PERIODS = {
    "month": "month",
    "mo": "month",
    "monthly": "month",
    "year": "year",
    "yr": "year",
    "annum": "year",
    "yearly": "year",
    "annually": "year",
    "annual": "year",
    "week": "week",
    "weekly": "week",
    "day": "day",
    "daily": "day",
    "user": "user",
    "seat": "seat",
}
UNIT_ADJECTIVES = {"business", "working", "calendar", "full", "extra", "more", "whole"}
NUMBER_WORDS = {
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "ninety": 90,
    "hundred": 100,
    "dozen": 12,
}
FRACTIONS = {
    "half": 0.5,
    "third": 1 / 3,
    "quarter": 0.25,
    "fifth": 0.2,
    "tenth": 0.1,
    "two thirds": 2 / 3,
    "three quarters": 0.75,
}
MONTHS = {
    name: i
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
STRONG = {
    "guarantee": "guarant",
    "guaranteed": "guarant",
    "guarantees": "guarant",
    "best": "best",
    "only": "only",
    "first": "first",
    "fastest": "fastest",
    "cheapest": "cheapest",
    "lowest": "lowest",
    "highest": "highest",
    "largest": "largest",
    "biggest": "biggest",
    "smartest": "smartest",
    "greatest": "greatest",
    "leading": "leading",
    "all": "all",
    "every": "every",
    "each": "each",
    "always": "always",
    "never": "never",
    "instantly": "instant",
    "instant": "instant",
    "forever": "forever",
    "lifetime": "lifetime",
    "unlimited": "unlimited",
    "free": "free",
    "#1": "#1",
    "risk-free": "risk-free",
    "certified": "certified",
    "proven": "proven",
    "clinically": "clinically",
}
NEGATIONS = {"not", "no", "never", "cannot", "nothing", "none", "nobody"}

# Words that start sentences (or appear in title-case lines) without being names.
COMMON = frozenset(
    """
    a about above after again all also always an and any are as at be because been before being
    below between both but by can cannot could did do does doing down during each few for from
    further get gets getting got had has have having he her here hers him his how i if in into is
    it its itself just last least less let like made make makes many may me more most much must my
    never new next no nor not now of off on once one only or other our ours out over own per
    please same see she should since so some such than that the their theirs them then there these
    they this those though through to too under until up upon us very was we were what when where
    which while who whom why will with within without would yes yet you your yours
    add adds buy buys call cut cuts cutting enjoy find get give go join keep learn learns let lower
    lowers meet order orders preorder preorders pay plan plans reduce reduces save saves saving savings shop sign
    start starts stay stays switch take try turn upgrade use uses want warm work works
    customer customers home homes homeowner homeowners family families people everyone anyone
    team teams user users owner owners renter renters business businesses office offices room rooms
    price prices pricing cost costs offer offers deal deals shipping returns return refund warranty
    support subscription plan plans app apps energy heating cooling bill bills thermostat
    thermostats sensor sensors winter summer spring autumn fall today tonight tomorrow now soon
    comfort control install installation setup reports report study studies field average
    results result smart easy quick simple fast free every each more most less fewer better best
    up down our their its just even still only also here there
    cut your heating bill bills warmer cooler colder hotter smaller bigger lower higher
    """.split()
)
_FUNCTION_WORDS = frozenset(
    "a an and are as at be but by for from in into is it nor of off on or over per so the to "
    "via with yet".split()
)
WEEKDAYS = frozenset("monday tuesday wednesday thursday friday saturday sunday".split())
STOPWORDS = frozenset(
    """
    a an and are as at be by for from has have in is it its of on or our that the their this to
    with we you your who what will can do does how which when than then so if into up out over
    about after any all also just more most much per via was were been being them they it's
    get gets got i me my us
    """.split()
)
SYNONYMS = {
    "price": "cost",
    "priced": "cost",
    "prices": "cost",
    "costs": "cost",
    "buy": "order",
    "purchase": "order",
    "orders": "order",
    "reduce": "cut",
    "reduces": "cut",
    "lower": "cut",
    "lowers": "cut",
    "over": "more",
    "than": "more",
    "shows": "show",
    "showed": "show",
    "found": "show",
}

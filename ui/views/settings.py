"""Settings: how each person is told that something waits for them.

Immediate (a message per item), a daily digest, or nothing; reminders before an item expires and
escalations follow the same choice. Messages go by email, to the team's chat or to a webhook,
whichever the team has set up; each links to the item (sign-in still required).
"""

from __future__ import annotations

import streamlit as st

from graphs.errors import SignoffError
from graphs.notify import MODE_WORDS, MODES
from ui.state import flash, reviewer, show_flash, signoff, when

runtime = signoff()
me = reviewer()

st.title("Settings")
show_flash()
st.subheader("When something waits for you")
current = runtime.notify_preference(me)
choice = st.radio(
    f"How should Signoff tell {me}?",
    MODES,
    index=MODES.index(current),
    format_func=lambda m: MODE_WORDS[m],
    key="notify-mode",
    help="Reminders before an item expires and escalations follow the same choice.",
)
if st.button("Save", key="notify-save", type="primary", icon=":material/save:"):
    try:
        runtime.set_notify_preference(me, choice)
    except SignoffError as exc:
        st.error(str(exc))
    else:
        flash("success", f"Saved: {MODE_WORDS[choice].lower()}.")
        st.rerun()

channels = {"email": "by email", "slack": "in the team's chat", "webhook": "to the team's webhook"}
ways = [channels[c] for c in runtime.reach.channels()]
if ways:
    st.caption(
        "Messages go " + ", ".join(ways) + ". Each links to the item; you sign in to open it."
    )
else:
    st.caption(
        "No way to send messages is set up yet: ask whoever runs Signoff to set up email or "
        "a team chat for these messages."
    )
if runtime.policy.authority.open:
    st.caption("Signoff runs for one person here (no team in the policy): nothing is sent.")
elif runtime.policy.authority.person(me) is None:
    st.caption(f"{me} is not on the team list in the policy, so nothing is sent to you yet.")

sent = [d for d in runtime.reach.deliveries(me) if d["status"] == "sent"][-10:]
if sent:
    st.subheader("Recently sent to you")
    words = {"waiting": "Waiting", "reminder": "Reminder", "escalation": "Escalation"}
    for d in reversed(sent):
        st.markdown(f"- {words.get(d['kind'], d['kind'])} · {when(d['sent_at'])}")

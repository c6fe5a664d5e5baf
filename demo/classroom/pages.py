"""The classroom pages this server keeps, bounded.

Each visitor of /classroom gets the page built for them (``gr.render``), and Gradio keeps what it
built in the visitor's session, a few MB, until the session is one of the oldest of
``launch(state_session_capacity=...)`` sessions: a script reloading the page would fill the
server's memory long before that. So the server keeps the newest ``PAGES_PER_ADDRESS`` classroom
pages of each address (``PAGES_ANONYMOUS`` in all), and the newest ``PAGES_PER_CLASS`` of each
class's teacher apart from those, so that strangers' reloads never push out a teacher's projector.
An older page is dropped from Gradio's sessions, and stops answering until it is reloaded
(benchmarks/abuse.py measures the memory it saves: benchmarks/RESULTS.md, Abuse). Building a page
takes the CPU for a moment, so an address also gets at most ``BUILDS_BURST`` built at once, then
one every few seconds; a teacher's page of their class, and a visitor on the server's own
machine, always get theirs.

A page is not dropped when its visitor leaves: Gradio reports a leave when the page's heartbeat
connection drops, which a projector's Wi-Fi does now and then without the page going away.
"""

from __future__ import annotations

import gradio as gr

from demo.visitor import is_local
from mnist_models.limits import NewestPerKey, TokenBuckets

# A school whose classes open the classroom page from behind one router can raise these two
# (demo/settings.py: --classroom-pages-per-address, --classroom-builds-burst).
PAGES_PER_ADDRESS = 8
PAGES_ANONYMOUS = 150
PAGES_PER_CLASS = 4
PAGES_TEACHERS = 400
# Pages built per address: a dozen at once, then one every 6 s; past that a visitor without a
# class of their own gets a line asking them to reload a little later, which costs nothing to build.
BUILDS_BURST, BUILDS_PER_S = 12, 1 / 6


class ClassroomPages:
    """The classroom pages kept for ``blocks``' sessions: each by its address, or by its class
    for a teacher's."""

    def __init__(
        self, blocks: gr.Blocks, per_address: int = PAGES_PER_ADDRESS, builds_burst: int = BUILDS_BURST
    ) -> None:
        self.blocks = blocks
        self.by_address = NewestPerKey(per_address, max(PAGES_ANONYMOUS, per_address))
        self.by_class = NewestPerKey(PAGES_PER_CLASS, PAGES_TEACHERS)
        self.builds = TokenBuckets(BUILDS_PER_S, builds_burst)

    def build_wait(self, address: str, teacher: bool) -> float:
        """Seconds before ``address`` may have a classroom page built (0.0: now)."""
        return 0.0 if teacher or is_local(address) else self.builds.take(address)

    def opened(self, session: str, address: str, class_code: str | None) -> None:
        """Session ``session`` has just been given a classroom page; drop the pages it pushes out."""
        if not session:
            return
        if class_code:
            self.by_address.remove(session)
            dropped = self.by_class.add(session, class_code)
        else:
            self.by_class.remove(session)
            dropped = self.by_address.add(session, address)
        for other in dropped:
            self.forget(other)

    def forget(self, session: str) -> None:
        """Drop ``session``'s page, and its whole Gradio session."""
        self.by_address.remove(session)
        self.by_class.remove(session)
        forget_session(self.blocks, session)


def forget_session(blocks: gr.Blocks, session: str) -> None:
    """Drop ``session`` from what Gradio keeps (its ``StateHolder``, which has no public way to
    drop one)."""
    holder = getattr(blocks, "state_holder", None)
    if holder is None:
        return
    with holder.lock:
        holder.session_data.pop(session, None)
        holder.time_last_used.pop(session, None)

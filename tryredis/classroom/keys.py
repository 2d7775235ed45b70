"""Names of the classroom's keys in Redis (docs/classroom.md, "Keys in Redis").

Every key of one class carries the hash tag ``{<class id>}`` and every key of one
teacher ``{<teacher id>}``, so on a Redis Cluster each lives in one slot.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ClassKeys:
    """Key names under one site prefix (``TRYREDIS_KEY_PREFIX``)."""

    prefix: str

    @property
    def teachers(self) -> str:
        """Hash: teacher name -> teacher id."""
        return f"{self.prefix}teachers"

    def teacher(self, teacher_id: str) -> str:
        """Hash: a teacher's name and credential hashes."""
        return f"{self.prefix}t:{{{teacher_id}}}"

    def teacher_classes(self, teacher_id: str) -> str:
        """Set: the ids of a teacher's classes."""
        return f"{self.prefix}t:{{{teacher_id}}}:classes"

    def teacher_bucket(self, teacher_id: str) -> str:
        """Rate-limit bucket of a teacher's reads of students' sandboxes."""
        return f"{self.prefix}t:{{{teacher_id}}}:rate"

    def teacher_session(self, session_id: str) -> str:
        """Hash: a signed-in teacher's browser session."""
        return f"{self.prefix}ts:{{{session_id}}}"

    def signin_attempts(self, scope: str) -> str:
        """Counter of sign-in attempts for an address or a name (fixed window)."""
        return f"{self.prefix}tsign:{scope}"

    def join_attempts(self, address: str) -> str:
        """Counter of failed join and rejoin attempts from one address (fixed window)."""
        return f"{self.prefix}cjoin:{address}"

    @property
    def codes(self) -> str:
        """Hash: open join code -> class id."""
        return f"{self.prefix}codes"

    @property
    def ends(self) -> str:
        """Sorted set: class id -> end date (unix seconds), for the sweep."""
        return f"{self.prefix}classes:ends"

    @property
    def sweep_lock(self) -> str:
        """The class sweep's lock."""
        return f"{self.prefix}classes:sweep"

    def klass(self, class_id: str) -> str:
        """Hash: a class's settings, code and reveals."""
        return f"{self.prefix}c:{{{class_id}}}"

    def members(self, class_id: str) -> str:
        """Hash: learner id -> member record (JSON: name, joined, rejoin hash)."""
        return f"{self.prefix}c:{{{class_id}}}:m"

    def names(self, class_id: str) -> str:
        """Hash: folded display name -> learner id (names are unique in a class)."""
        return f"{self.prefix}c:{{{class_id}}}:n"

    def events(self, class_id: str) -> str:
        """Stream: the class's events (progress, notices, reveals, resets, joins)."""
        return f"{self.prefix}c:{{{class_id}}}:ev"

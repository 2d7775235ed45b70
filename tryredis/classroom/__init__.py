"""Classroom mode: teachers, classes, join codes, rosters, the live dashboard, exports.

The site holds one ``service.Classroom`` (``app.state.classroom``); see docs/classroom.md.
"""

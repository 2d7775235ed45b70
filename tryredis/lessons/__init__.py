"""The lesson pipeline: Markdown files parsed, validated and rendered once at start-up."""

from tryredis.lessons.loader import LessonIndex, load_lessons
from tryredis.lessons.model import PARTS, Exercise, Lesson, LessonError, Part, RedisBlock

__all__ = [
    "PARTS",
    "Exercise",
    "Lesson",
    "LessonError",
    "LessonIndex",
    "Part",
    "RedisBlock",
    "load_lessons",
]

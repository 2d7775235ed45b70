"""The lesson pipeline: Markdown files parsed, validated and rendered once at start-up."""

from tryredis.lessons.loader import LessonIndex, load_lessons
from tryredis.lessons.model import Exercise, Lesson, LessonError, RedisBlock

__all__ = ["Exercise", "Lesson", "LessonError", "LessonIndex", "RedisBlock", "load_lessons"]

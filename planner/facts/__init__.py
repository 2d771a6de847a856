"""Public facts about accelerators and open LLMs: the bundled tables and lookups by name."""

from planner.facts.accelerators import Accelerator, accelerators, find_accelerator
from planner.facts.llms import LLM, find_llm, llms

__all__ = ["LLM", "Accelerator", "accelerators", "find_accelerator", "find_llm", "llms"]

"""Live labs: the patterns of lessons 12 to 16 running against the learner's own sandbox.

Each lab is a page beside the REPL plus small endpoints the page calls. Every
Redis command a lab runs goes through ``Sandbox.execute`` (via
``sandboxio.SandboxRedis``), so it lands in the learner's namespace, shows up in
``KEYS *``, respects the sandbox limits and is paid for from the learner's rate
limit (``web.open_lab``). See docs/labs.md.
"""

"""Python code cells: redis-py over HTTP, the helpers and the test runner of coding exercises.

The modules ``endpoint``, ``connection``, ``helpers``, ``runner``, ``trace`` and
``browser`` run inside the learner's browser (Pyodide, in a Web Worker) and under
CPython in the test suite, so they import only the standard library and redis-py. The
rest (``fences``, ``bundle``, ``views``) is the server's side: rendering the fences, and
serving the modules.
"""

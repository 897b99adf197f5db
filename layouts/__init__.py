"""Component trees: one module per page plus the shell, pure functions without data access.

Layouts never import callbacks and never touch the store; values reach them as arguments
(helpers that build a ranking or a legend) or through callbacks that fill their ids.
"""

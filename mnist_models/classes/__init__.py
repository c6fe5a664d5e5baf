"""Classes of their own: what each class shares, kept, and what guards it.

- ``class_wall``: ``ClassWall``, one class's labelled drawings in memory, and their stats.
- ``store``: ``ClassStore``, the server's classes kept in SQLite, run by their teachers.
- ``codes``: join codes and teacher keys.
- ``archive``: a class exported as a ZIP, and imported back.
- ``limits``: rate limits per page and per address, and slowed retries.
"""

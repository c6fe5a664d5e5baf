"""Classes of their own: what each class shares, and how it is kept
(the rate limits that guard a wall are ``mnist_models.limits``).

- ``class_wall``: ``ClassWall``, one class's labelled drawings in memory, and their stats.
- ``store``: ``ClassStore``, the server's classes kept in SQLite, run by their teachers.
- ``codes``: join codes and teacher keys.
- ``archive``: a class exported as a ZIP, and imported back.
"""

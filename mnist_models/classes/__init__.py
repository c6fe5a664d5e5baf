"""Classes of their own: what each class shares, and how it is kept
(the rate limits that guard a wall are ``mnist_models.limits``).

- ``class_wall``: a card on a class's wall (``Entry``), the wall's figures, how fast it takes drawings.
- ``store``: ``ClassStore``, the server's classes, run by their teachers; the database is the one truth.
- ``database``: its tables (SQLAlchemy Core), opened and brought up to this version.
- ``backup``: a copy of the database on storage that outlives the machine, and its restore.
- ``codes``: join codes and teacher keys.
- ``archive``: a class exported as a ZIP, and imported back.
"""

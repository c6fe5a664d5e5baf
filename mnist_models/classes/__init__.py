"""What a class shares: the wall of drawings students labelled.

- ``store``: ``ClassWall`` (the drawings, their stats and their export).
"""

"""The fund's rules: entities, value objects, state machines and domain errors.

Pure Python: the standard library, attrs, phonenumbers and python-stdnum only. Entities
are mutable attrs classes with an instance ``__dict__`` (``slots=False``), so that the
database adapter can map them as they are; value objects are frozen.
"""

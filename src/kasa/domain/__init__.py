"""The fund's rules: entities, value objects, state machines and domain errors.

Pure Python: the standard library, attrs, phonenumbers and python-stdnum only.
"""

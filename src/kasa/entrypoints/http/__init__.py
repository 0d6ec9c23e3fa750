"""The two HTTP apps (mobile and admin) and what they share: auth, errors, schemas."""

"""The tutoring vertical: private tutors at home."""

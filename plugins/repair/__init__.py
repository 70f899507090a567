"""The repair vertical: plumbing, electrical and appliance repair."""

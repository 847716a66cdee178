"""Department routing (issue #14): which of our departments handles a message, or none of ours."""

"""The product's rules and cryptography; imports neither Django nor any cloud SDK."""

"""The local review UI: a Starlette app on 127.0.0.1 with a one-time link, strict security
headers, shielded text that stays hidden until the user asks, and five interface languages."""

"""Tokens: what the global app stores instead of personal data."""

from domicile.tokens.formats import ParsedToken, TokenKind, parse_token

__all__ = ["ParsedToken", "TokenKind", "parse_token"]

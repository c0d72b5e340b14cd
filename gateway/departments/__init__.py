"""Departments (信息互联): departments as parties, their allowed purposes and the purpose-bound query ports."""

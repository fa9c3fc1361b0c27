"""Fix machinery: text edits that keep the rest of a file byte for byte, and the builders rules use
to edit environment files and training-project calls."""

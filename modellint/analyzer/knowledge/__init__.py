"""What modellint knows without the network: which distribution provides an import name, what a
requirement installs, and which modules are standard library in each Python."""

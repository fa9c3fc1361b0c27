"""What deployment targets accept and bring: request payload shapes and sample requests."""

"""sam local: the built arm64 function in a Lambda container (Docker, qemu on x86_64)."""

"""From files to passages: reading the corpus folder and splitting articles into passages and sentences."""

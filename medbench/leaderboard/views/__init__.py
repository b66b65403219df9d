"""Views of a board: the static site and the terminal table. They read the board domain only."""

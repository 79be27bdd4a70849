"""Static front end: HTML, CSS and ES modules, shipped as package data."""

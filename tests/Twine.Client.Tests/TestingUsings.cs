// The shared test support (tests/Twine.Testing): fixtures, the app builder, repository paths.
global using Twine.Testing;

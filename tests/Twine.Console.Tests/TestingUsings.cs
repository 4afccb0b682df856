// The shared test support (tests/Twine.Testing): fixtures, the app builder, repository paths.
global using Twine.Testing;

// One Azurite for the whole assembly: tests isolate themselves with table and queue names of their own.
[assembly: AssemblyFixture(typeof(Twine.Testing.AzuriteFixture))]

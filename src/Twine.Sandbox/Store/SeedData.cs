using System.Text.Json.Nodes;

namespace Twine.Sandbox.Store;

/// <summary>Loads the seed document: {"data":[resource, ...]} (see docs/SANDBOX.md for the ids).</summary>
internal static class SeedData
{
    public const string FileName = "seed.json";

    public static string DefaultPath => Path.Combine(AppContext.BaseDirectory, "Store", FileName);

    public static IReadOnlyList<JsonObject> Load(string? seedFile)
    {
        string text;
        if (seedFile is not null)
        {
            text = File.ReadAllText(seedFile);
        }
        else if (File.Exists(DefaultPath))
        {
            text = File.ReadAllText(DefaultPath);
        }
        else
        {
            // A referencing project may not copy the file; the embedded copy is the same data.
            using var stream = typeof(SeedData).Assembly.GetManifestResourceStream("Twine.Sandbox.seed.json")
                ?? throw new FileNotFoundException("seed data not found", DefaultPath);
            using var reader = new StreamReader(stream);
            text = reader.ReadToEnd();
        }

        var root = JsonNode.Parse(text) as JsonObject ?? throw new InvalidDataException("seed must be a JSON object");
        var data = root["data"] as JsonArray ?? throw new InvalidDataException("seed must have a data array");
        return data.OfType<JsonObject>().ToList();
    }
}

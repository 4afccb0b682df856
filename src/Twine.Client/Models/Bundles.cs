using System.Text.Json.Serialization;

namespace Twine.Client.Models;

/// <summary>A collection of actions (an action plan) in a patient's plan.</summary>
public sealed class BundleResource() : TwineResource<BundleAttributes, PlanItemRelationships>(ResourceTypes.Bundle);

public sealed class BundleAttributes
{
    public string? Type { get; set; }
    public string? Title { get; set; }
    public DateTimeOffset? EffectiveFrom { get; set; }
    public DateTimeOffset? EffectiveTo { get; set; }

    [JsonPropertyName("_thread")]
    public string? Thread { get; set; }

    [JsonPropertyName("_actions")]
    public List<string>? ActionIds { get; set; }
}

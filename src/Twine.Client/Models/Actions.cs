using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Twine.Client.Models;

/// <summary>An actionable item in a patient's plan.</summary>
public sealed class ActionResource() : TwineResource<ActionAttributes, PlanItemRelationships>(ResourceTypes.Action);

public sealed class ActionAttributes
{
    public string? Type { get; set; }
    public string? Title { get; set; }

    /// <summary>Read-only.</summary>
    public string? StaticTitle { get; set; }

    public DateTimeOffset? EffectiveFrom { get; set; }
    public DateTimeOffset? EffectiveTo { get; set; }
    public bool? Tracking { get; set; }

    [JsonPropertyName("_thread")]
    public string? Thread { get; set; }

    /// <summary>Read-only.</summary>
    public ActionAdherence? Adherence { get; set; }

    public ActionFrequencyGoal? FrequencyGoal { get; set; }
    public List<Identifier>? Identifiers { get; set; }

    /// <summary>Free-form per action type.</summary>
    public JsonObject? Details { get; set; }

    /// <summary>Free-form per action type.</summary>
    public JsonObject? Intake { get; set; }

    public bool? MetricRequired { get; set; }
    public List<ActionMetric>? Metrics { get; set; }
    public List<ActionWindow>? Windows { get; set; }
}

public sealed class ActionAdherence
{
    public int? Due { get; set; }
    public int? Complete { get; set; }
    public ActionStreak? Streak { get; set; }
}

public sealed class ActionStreak
{
    public int? Count { get; set; }
    public DateTimeOffset? UpdatedAt { get; set; }
}

public sealed class ActionFrequencyGoal
{
    public ActionWeeks? Weeks { get; set; }
}

public sealed class ActionWeeks
{
    /// <summary>Days of the week, 0 = Sunday.</summary>
    public List<int>? Days { get; set; }
}

public sealed class ActionMetric
{
    public string? MetricType { get; set; }
    public string? Unit { get; set; }

    /// <summary>Shape varies with the metric type.</summary>
    public JsonObject? Goal { get; set; }

    public ActionMetricValidations? Validations { get; set; }
}

public sealed class ActionMetricValidations
{
    public ActionMetricBound? Minimum { get; set; }
    public ActionMetricBound? Maximum { get; set; }
}

public sealed class ActionMetricBound
{
    public double? Value { get; set; }
    public string? Unit { get; set; }
}

public sealed class ActionWindow
{
    public string? Title { get; set; }
    public string? Type { get; set; }

    [JsonPropertyName("_id")]
    public string? Id { get; set; }
}

/// <summary>Relationships of plan items (actions and bundles): the plan, and the bundles or actions they group.</summary>
public sealed class PlanItemRelationships
{
    public Relationship? Plan { get; set; }
    public Relationship? Bundles { get; set; }
    public Relationship? Actions { get; set; }
}

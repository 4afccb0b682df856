using System.Text.Json.Serialization;

namespace Twine.Client.Models;

/// <summary>A patient's set of health questions and answers.</summary>
public sealed class HealthProfileResource() : TwineResource<HealthProfileAttributes, HealthProfileRelationships>(ResourceTypes.HealthProfile);

public sealed class HealthProfileAttributes
{
    public List<HealthProfileStat>? Stats { get; set; }
    public DateTimeOffset? CreatedAt { get; set; }
    public DateTimeOffset? UpdatedAt { get; set; }
}

public sealed class HealthProfileStat
{
    /// <summary>lifestyle_behaviors, mental_wellbeing, preventative_care or overall.</summary>
    public string? Category { get; set; }
    public double? Answered { get; set; }
    public double? Total { get; set; }
}

public sealed class HealthProfileRelationships
{
    public Relationship? Patient { get; set; }
    public Relationship? Questions { get; set; }
}

/// <summary>Relates a patient's answer to a question definition; it has no attributes of its own.</summary>
public sealed class HealthProfileQuestionResource() : TwineResource<HealthProfileQuestionAttributes, HealthProfileQuestionRelationships>(ResourceTypes.HealthProfileQuestion);

public sealed class HealthProfileQuestionAttributes;

public sealed class HealthProfileQuestionRelationships
{
    public Relationship? Answer { get; set; }
    public Relationship? Profile { get; set; }
    public Relationship? QuestionDefinition { get; set; }
}

/// <summary>A patient's answer to one question, with its history.</summary>
public sealed class HealthProfileAnswerResource() : TwineResource<HealthProfileAnswerAttributes, HealthProfileAnswerRelationships>(ResourceTypes.HealthProfileAnswer);

public sealed class HealthProfileAnswerAttributes
{
    public List<HealthProfileAnswerEntry>? History { get; set; }
    public HealthProfileAnswerEntry? Latest { get; set; }
    public string? QuestionId { get; set; }
    public DateTimeOffset? CreatedAt { get; set; }
    public DateTimeOffset? UpdatedAt { get; set; }
}

public sealed class HealthProfileAnswerEntry
{
    public DateTimeOffset? AnsweredAt { get; set; }
    public string? Value { get; set; }

    /// <summary>The patient or coach who answered.</summary>
    [JsonPropertyName("_created_by")]
    public string? CreatedBy { get; set; }

    [JsonPropertyName("_id")]
    public string? Id { get; set; }
}

public sealed class HealthProfileAnswerRelationships
{
    public Relationship? Patient { get; set; }
}

/// <summary>A health question and its answer choices.</summary>
public sealed class HealthQuestionDefinitionResource() : TwineResource<HealthQuestionDefinitionAttributes>(ResourceTypes.HealthQuestionDefinition);

public sealed class HealthQuestionDefinitionAttributes
{
    /// <summary>lifestyle_behaviors, mental_wellbeing or preventative_care.</summary>
    public string? Category { get; set; }
    public HealthQuestionFormat? Format { get; set; }
    public List<HealthQuestionRequirement>? Requirements { get; set; }
    public string? Text { get; set; }
}

public sealed class HealthQuestionFormat
{
    public List<HealthQuestionChoice>? Data { get; set; }
    public string? Type { get; set; }
}

public sealed class HealthQuestionChoice
{
    public string? Label { get; set; }
    public string? Value { get; set; }
    public string? Icon { get; set; }
}

/// <summary>An age or gender condition for including the question (names are camelCase in Twine's JSON).</summary>
public sealed class HealthQuestionRequirement
{
    public string? Property { get; set; }

    [JsonPropertyName("shouldBeEqual")]
    public bool? ShouldBeEqual { get; set; }

    [JsonPropertyName("shouldBeGreaterThan")]
    public double? ShouldBeGreaterThan { get; set; }

    [JsonPropertyName("shouldBeLessThan")]
    public double? ShouldBeLessThan { get; set; }

    public string? Value { get; set; }
}

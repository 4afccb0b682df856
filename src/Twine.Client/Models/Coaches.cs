namespace Twine.Client.Models;

public sealed class CoachResource() : TwineResource<CoachAttributes>(ResourceTypes.Coach);

public sealed class CoachAttributes
{
    public string? FirstName { get; set; }
    public string? LastName { get; set; }
}

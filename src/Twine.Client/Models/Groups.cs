namespace Twine.Client.Models;

public sealed class GroupResource() : TwineResource<GroupAttributes>(ResourceTypes.Group);

public sealed class GroupAttributes
{
    public string? Name { get; set; }
    public string? Bio { get; set; }
}

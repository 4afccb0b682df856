namespace Twine.Client.Models;

public sealed class OrganizationResource() : TwineResource<OrganizationAttributes>(ResourceTypes.Organization);

public sealed class OrganizationAttributes
{
    public string? Name { get; set; }
}

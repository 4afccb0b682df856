namespace Twine.Sandbox.Resources;

/// <summary>Maps every resource family's routes under /pub.</summary>
internal static class ResourceEndpoints
{
    public static void Map(RouteGroupBuilder pub)
    {
        OrganizationEndpoints.Map(pub);
        PatientEndpoints.Map(pub);
        MetricEndpoints.Map(pub);
        CalendarEventEndpoints.Map(pub);
        EmailHistoryEndpoints.Map(pub);
        HealthProfileEndpoints.Map(pub);
        PlanEndpoints.Map(pub);
    }
}

using System.Text.Json;
using Azure;
using Microsoft.AspNetCore.Http;
using Twine.Functions.Platform.Http;
using Twine.Functions.Platform.Polling;

namespace Twine.Functions.CalendarEvents;

/// <summary>
/// GET /api/calendar-events/{externalId}: the link (point read, PK = externalId), then the polled event (point read,
/// PK = its Twine id). 404 when the externalId is unknown or nothing was created in Twine for it.
/// </summary>
public sealed class CalendarEventQueryHandler(CalendarEventLinkStore links, PollingTables tables)
{
    public const string PathPrefix = "/api/calendar-events/";

    public async Task<IResult> HandleAsync(string? externalId, CancellationToken cancellationToken)
    {
        if (ExternalId.Problem(externalId) is { } problem)
        {
            return Problems.BadRequest(PathPrefix, problem, [new ProblemError(problem, Parameter: "externalId")]);
        }

        var instance = PathPrefix + externalId;
        try
        {
            var link = await links.GetAsync(externalId!, cancellationToken).ConfigureAwait(false);
            if (link?.TwineId is not { } twineId)
            {
                return Problems.NotFound(instance, link is null
                    ? "No calendar event has this externalId."
                    : "No Twine calendar event has been created for this externalId (yet).", "externalId");
            }

            var row = await tables.CalendarEvents.GetEntityIfExistsAsync<CalendarEventRow>(twineId, CalendarEventRow.Row, cancellationToken: cancellationToken).ConfigureAwait(false);
            var view = new CalendarEventView(externalId!, twineId, link.State, row.HasValue ? ToItem(row.Value!) : null);
            return new BodyResult(StatusCodes.Status200OK, "application/json", JsonSerializer.SerializeToUtf8Bytes(view, CalendarEventJsonContext.Default.CalendarEventView));
        }
        catch (RequestFailedException)
        {
            return Problems.Unavailable(instance, "The calendar event could not be read. Retry later.");
        }
    }

    private static CalendarEventItem ToItem(CalendarEventRow row) => new()
    {
        Id = row.PartitionKey,
        Type = row.Type,
        StartAt = row.StartAt,
        EndAt = row.EndAt,
        AllDay = row.AllDay,
        TimeZone = row.TimeZone,
        CompletedAt = row.CompletedAt,
        CompletedBy = row.CompletedBy,
        PatientId = row.PatientId,
        CreatedAt = row.CreatedAt,
        UpdatedAt = row.UpdatedAt,
        PolledAt = row.PolledAt,
    };
}

using System.Text.Json;
using Azure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Twine.Functions.CalendarEvents;
using Twine.Functions.Platform.Http;

namespace Twine.Functions.Ingestions.Status;

/// <summary>
/// GET /api/ingestions/{id}: one point read of the Ingestions row. The edge answers 202 once the messages are queued and
/// marks the row accepted just after the answer, so a row still "receiving" (internal) reads as accepted: its id was
/// only ever handed out with the 202, or to a retry told to wait; if queueing fails, it turns failed.
/// </summary>
public sealed class IngestionStatusHandler(IngestionStore store, OperatorAccess access)
{
    /// <param name="principal">The request's X-MS-CLIENT-PRINCIPAL header (<see cref="OperatorAccess"/>): the status route is an operator route.</param>
    public async Task<IResult> HandleAsync(StringValues principal, string? ingestionId, CancellationToken cancellationToken)
    {
        if (access.Check(principal, IngestionAcceptor.StatusPathPrefix) is { } refused)
        {
            return refused;
        }

        if (!IngestionId.IsValid(ingestionId))
        {
            const string detail = "An ingestion id is 32 lowercase hexadecimal digits.";
            return Problems.BadRequest(IngestionAcceptor.StatusPathPrefix, detail, [new ProblemError(detail, Parameter: "id")]);
        }

        var instance = IngestionAcceptor.StatusPathPrefix + ingestionId;
        IngestionRecord? record;
        try
        {
            record = await store.GetAsync(ingestionId!, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException)
        {
            return Problems.Unavailable(instance, "The ingestion could not be read. Retry later.");
        }

        if (record is null)
        {
            return Problems.NotFound(instance, "No accepted ingestion has this id.");
        }

        var response = new IngestionStatusResponse
        {
            IngestionId = record.Id,
            Kind = record.Kind.ToWire(),
            Status = Shown(record.Status).ToWire(),
            ExternalId = record.ExternalId,
            Operation = record.Operation,
            Counts = new IngestionCounts(record.MetricsTotal, record.MessagesTotal, record.MessagesDone, record.Created, record.IgnoredDuplicates, record.Failed, record.Superseded),
            TwineIds = record.TwineIds,
            TwineIdsTruncated = record.TwineIdsTruncated,
            Errors = record.Errors,
            ErrorsTruncated = record.ErrorsTruncated,
            FailureReason = record.FailureReason,
            Entries = record.Entries.Count > 0 ? record.Entries : null,
            EntriesTruncated = record.Entries.Count > 0 ? record.EntriesTruncated : null,
            Retry = record.Status == IngestionStatus.Retrying ? record.Retry : null,
            Partner = record.Partner,
            WebhookId = record.WebhookId,
            Replay = record.Replay is { } replay
                ? new ReplayStatus(replay.Count, replay.LastAt, replay.LastMessages,
                    IngestionStore.IsSettled(record) && record.ReplayPendingUntil is null ? record.Status.ToWire() : "inFlight")
                : null,
            CreatedAt = record.CreatedAt,
            UpdatedAt = record.UpdatedAt,
        };
        return new BodyResult(StatusCodes.Status200OK, "application/json",
            JsonSerializer.SerializeToUtf8Bytes(response, IngestionJsonContext.Default.IngestionStatusResponse));
    }

    private static IngestionStatus Shown(IngestionStatus status) => status == IngestionStatus.Receiving ? IngestionStatus.Accepted : status;
}

using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Twine.Functions.Http;
using Twine.Functions.Queues;

namespace Twine.Functions.Ingestion.CalendarEvents;

/// <summary>
/// PUT and DELETE /api/calendar-events/{externalId}: checks the externalId and the spec's calendar rules, records an
/// ingestion and queues one upsert or delete message. Whether a PUT creates or updates is decided when the message
/// is processed, from the CalendarEventLinks row.
/// </summary>
public sealed partial class CalendarEventIngestionHandler(IngestionAcceptor acceptor, IngestionQueues queues, ILogger<CalendarEventIngestionHandler> logger)
{
    public const string InstancePrefix = "/api/calendar-events/";
    private static readonly JsonDocumentOptions DocumentOptions = new() { AllowDuplicateProperties = false, MaxDepth = 64 };

    public async Task<IResult> HandlePutAsync(string? externalId, string? contentType, long? contentLength, string? idempotencyKey,
        Stream body, CancellationToken cancellationToken)
    {
        if (CheckRequest(externalId, idempotencyKey) is { } refused)
        {
            return refused;
        }

        var instance = InstancePrefix + externalId;
        if (RequestBody.MediaTypeProblem(contentType) is { } mediaProblem)
        {
            return Refused(Problems.UnsupportedMediaType(instance, mediaProblem));
        }

        var bytes = await RequestBody.ReadAsync(body, contentLength, RequestBody.MaxBytes, cancellationToken).ConfigureAwait(false);
        if (bytes is null)
        {
            return Refused(Problems.TooLarge(instance, $"The body must be at most {RequestBody.MaxBytes} bytes (1 MiB)."));
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes, DocumentOptions);
        }
        catch (JsonException e)
        {
            return Refused(Problems.MalformedJson(instance, $"The body is not valid JSON (line {e.LineNumber}, byte {e.BytePositionInLine})."));
        }

        using (document)
        {
            var errors = new List<ProblemError>();
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("data", out var data))
            {
                errors.Add(ProblemError.AtPointer("/data", "The body must be a JSON:API document whose 'data' is a calendar_event resource."));
                return Refused(Problems.Validation(instance, errors));
            }

            CalendarEventValidator.Validate(data, "/data", errors);
            if (errors.Count > 0)
            {
                return Refused(Problems.Validation(instance, errors));
            }

            // One message per event: it must fit the queue's 64 KiB (after base64) on its own.
            var probe = CalendarEventMessageWriter.Write(new string('0', IngestionId.Length), CalendarEventMessageWriter.Upsert, externalId!, data);
            if (probe.Length > QueueMessageLimits.MaxJsonBytes)
            {
                return Refused(Problems.TooLarge(instance, "The calendar event is too large to queue (at most 48 KiB of minified JSON).",
                    ProblemError.AtPointer("/data", "Too large to queue.")));
            }

            var hash = IngestionAcceptor.RequestHash("PUT", "calendar-events/" + externalId, bytes);
            var resource = data.Clone();
            return await acceptor.AcceptAsync(instance,
                new NewIngestion(IngestionKind.CalendarEvent, 0, 1, externalId, CalendarEventMessageWriter.Upsert), idempotencyKey, hash,
                (id, ct) => queues.SendAsync(queues.CalendarEvents, [CalendarEventMessageWriter.Write(id, CalendarEventMessageWriter.Upsert, externalId!, resource)], ct),
                cancellationToken).ConfigureAwait(false);
        }
    }

    public Task<IResult> HandleDeleteAsync(string? externalId, string? idempotencyKey, CancellationToken cancellationToken)
    {
        if (CheckRequest(externalId, idempotencyKey) is { } refused)
        {
            return Task.FromResult<IResult>(refused);
        }

        var hash = IngestionAcceptor.RequestHash("DELETE", "calendar-events/" + externalId, Encoding.UTF8.GetBytes(""));
        return acceptor.AcceptAsync(InstancePrefix + externalId,
            new NewIngestion(IngestionKind.CalendarEvent, 0, 1, externalId, CalendarEventMessageWriter.Delete), idempotencyKey, hash,
            (id, ct) => queues.SendAsync(queues.CalendarEvents, [CalendarEventMessageWriter.Write(id, CalendarEventMessageWriter.Delete, externalId!, null)], ct),
            cancellationToken);
    }

    private BodyResult? CheckRequest(string? externalId, string? idempotencyKey)
    {
        if (ExternalId.Problem(externalId) is { } idProblem)
        {
            return Refused(Problems.BadRequest("/api/calendar-events", idProblem, [new ProblemError(idProblem, Parameter: "externalId")]));
        }

        if (RequestBody.IdempotencyKeyProblem(idempotencyKey) is { } keyProblem)
        {
            return Refused(Problems.BadRequest(InstancePrefix + externalId, keyProblem, [new ProblemError(keyProblem, Header: "Idempotency-Key")]));
        }

        return null;
    }

    private BodyResult Refused(BodyResult problem)
    {
        LogRefused(problem.StatusCode);
        return problem;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Calendar event request refused: {StatusCode}")]
    private partial void LogRefused(int statusCode);
}

using System.Text.Json;
using Azure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Twine.Functions.Ingestions.History;
using Twine.Functions.Platform.Http;

namespace Twine.Functions.Ingestions.Replay;

/// <summary>
/// POST /api/ingestions/{id}/replay and POST /api/ingestions/replay (bulk, the list's filters, at most
/// <see cref="HistoryQueryParser.MaxReplayLimit"/> ingestions examined per call, <c>dryRun=true</c> to see what would be
/// sent). See <see cref="IngestionReplayer"/> for what is sent again.
/// </summary>
public sealed class ReplayHandler(IngestionReplayer replayer, IngestionHistoryHandler history, TimeProvider time, OperatorAccess access)
{
    public const string BulkInstance = "/api/ingestions/replay";

    /// <summary>Statuses a bulk replay examines when none is given: the settled ones with failures.</summary>
    public static readonly IReadOnlyList<string> DefaultBulkStatuses = ["failed", "partlySucceeded"];

    /// <param name="principal">The request's X-MS-CLIENT-PRINCIPAL header (<see cref="OperatorAccess"/>).</param>
    public async Task<IResult> ReplayOneAsync(StringValues principal, string? ingestionId, IReadOnlyList<KeyValuePair<string, string?>> query,
        CancellationToken cancellationToken)
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

        var instance = IngestionAcceptor.StatusPathPrefix + ingestionId + "/replay";
        var unknown = query.Where(p => p.Key is not ("dryRun" or "code")).Select(p => p.Key).FirstOrDefault();
        var dryRunValues = query.Where(p => p.Key == "dryRun").Select(p => p.Value).ToList();
        if (unknown is not null || dryRunValues.Count > 1 || dryRunValues.Any(v => v is not ("true" or "false" or "")))
        {
            const string detail = "The only parameter is dryRun (true or false), given at most once.";
            return Problems.BadRequest(instance, detail, [new ProblemError(detail, Parameter: unknown is null ? "dryRun" : "query")]);
        }

        var dryRun = dryRunValues is [not "false"];
        ReplayResult result;
        try
        {
            result = await replayer.ReplayAsync(ingestionId!, dryRun, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException)
        {
            return Problems.Unavailable(instance, "The replay could not be completed. Retry later: messages already queued again are not sent twice to Twine.");
        }

        return result.Decision switch
        {
            ReplayDecision.NotFound => Problems.NotFound(instance, "No accepted ingestion has this id."),
            ReplayDecision.InFlight => Problems.Create(409, "in-flight", "The ingestion is still in flight",
                $"The ingestion is {result.Status} or being replayed; replay it once it has settled (succeeded, partlySucceeded or failed).",
                instance, [new ProblemError("Still in flight.", Parameter: "id")], ingestionId, retryAfterSeconds: 60),
            ReplayDecision.NothingToReplay => Problems.Create(422, "nothing-to-replay", "Nothing to replay",
                "Every message of this ingestion reached Twine; nothing is sent again.", instance, [new ProblemError("Nothing failed.", Parameter: "id")], ingestionId),
            ReplayDecision.NotKept => Problems.Create(422, "not-kept", "The failed messages were not kept",
                "Messages failed, but none was kept to send again (enqueued directly by a partner, or removed by retention); the partner must send them again.",
                instance, [new ProblemError("Not kept.", Parameter: "id")], ingestionId),
            _ => Body(dryRun ? StatusCodes.Status200OK : StatusCodes.Status202Accepted, Response(result, dryRun), ingestionId!),
        };
    }

    public async Task<IResult> ReplayManyAsync(StringValues principal, IReadOnlyList<KeyValuePair<string, string?>> query, CancellationToken cancellationToken)
    {
        if (access.Check(principal, BulkInstance) is { } refused)
        {
            return refused;
        }

        var (parsed, errors) = HistoryQueryParser.ParseReplay(query, time.GetUtcNow());
        if (parsed is null)
        {
            return IngestionHistoryHandler.BadParameters(BulkInstance, errors);
        }

        var filter = parsed.Filter.Statuses.Count == 0 ? parsed.Filter with { Statuses = DefaultBulkStatuses } : parsed.Filter;
        try
        {
            var (rows, next) = await history.ReadAsync(filter, parsed.Cursor, parsed.PageSize, cancellationToken).ConfigureAwait(false);
            var replayed = new List<ReplayResponse>();
            var skipped = new List<ReplaySkipped>();
            foreach (var row in rows)
            {
                var result = await replayer.ReplayAsync(row.IngestionId, parsed.DryRun, cancellationToken).ConfigureAwait(false);
                if (result.Decision == ReplayDecision.Queued)
                {
                    replayed.Add(Response(result, parsed.DryRun));
                }
                else
                {
                    skipped.Add(new ReplaySkipped(row.IngestionId, Reason(result.Decision)));
                }
            }

            var body = new BulkReplayResponse(parsed.DryRun, rows.Count, replayed.Sum(r => r.Messages.Count), replayed, skipped,
                next is null ? null : HistoryQueryParser.EncodeToken(parsed.Filter, next));
            return new BodyResult(parsed.DryRun ? StatusCodes.Status200OK : StatusCodes.Status202Accepted, "application/json",
                JsonSerializer.SerializeToUtf8Bytes(body, HistoryJsonContext.Default.BulkReplayResponse));
        }
        catch (RequestFailedException)
        {
            return Problems.Unavailable(BulkInstance, "The replay could not be completed. Retry later: messages already queued again are not sent twice to Twine.");
        }
    }

    private static string Reason(ReplayDecision decision) => decision switch
    {
        ReplayDecision.InFlight => "inFlight",
        ReplayDecision.NothingToReplay => "nothingToReplay",
        ReplayDecision.NotKept => "notKept",
        _ => "notFound",
    };

    private static ReplayResponse Response(ReplayResult result, bool dryRun) =>
        new(result.IngestionId, IngestionAcceptor.StatusPathPrefix + result.IngestionId, dryRun, result.Messages, result.NotKept, result.Status);

    private static BodyResult Body(int status, ReplayResponse response, string ingestionId) =>
        new(status, "application/json", JsonSerializer.SerializeToUtf8Bytes(response, HistoryJsonContext.Default.ReplayResponse),
            [new("Location", IngestionAcceptor.StatusPathPrefix + ingestionId)]);
}

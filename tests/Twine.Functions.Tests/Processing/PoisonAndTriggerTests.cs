using System.Reflection;
using System.Text.Json.Nodes;
using Microsoft.Azure.Functions.Worker;
using Twine.Functions.Tests.Infrastructure;
using Twine.Sandbox;
using Twine.Sandbox.Faults;
using Twine.Functions.CalendarEvents;
using Twine.Functions.Ingestions;
using Twine.Functions.Ingestions.Poison;
using Twine.Functions.Ingestions.Queues;
using Twine.Functions.Metrics;
using Twine.Functions.Platform.Storage;

namespace Twine.Functions.Tests.Processing;

/// <summary>Poison handling, and the queue triggers' bindings against host.json and the Storage settings.</summary>
public sealed class PoisonAndTriggerTests : IClassFixture<SandboxFixture>
{
    private readonly AzuriteFixture _azurite;
    private readonly SandboxServer _sandbox;

    public PoisonAndTriggerTests(AzuriteFixture azurite, SandboxFixture sandbox)
    {
        _azurite = azurite;
        _sandbox = sandbox.Server;
        _sandbox.Reset();
    }

    [Fact]
    public async Task The_queue_functions_hand_the_bound_message_text_to_their_processor_and_handler()
    {
        await using var app = ProcessingApp.Create(_azurite, _sandbox);
        var id = (await app.PostMetricsAsync(ProcessingApp.Metrics(150))).IngestionId;
        var messages = await app.TakeMessagesAsync(app.Names.MetricsQueue);
        Azure.Storage.Queues.Models.QueueMessage Bound(string text, long dequeueCount) =>
            Azure.Storage.Queues.Models.QueuesModelFactory.QueueMessage("queue-message-id", "pop", BinaryData.FromString(text), dequeueCount);

        await new ProcessMetricsFunction(app.MetricsProcessor()).Run(Bound(messages[0], 1), CancellationToken.None);
        await new PoisonMessageFunctions(app.PoisonHandler()).Metrics(Bound(messages[1], 5), CancellationToken.None);

        var record = (await app.Store.GetAsync(id, CancellationToken.None))!;
        Assert.Equal((100, 50, 2), (record.Created, record.Failed, record.MessagesDone));
        Assert.Contains(record.Errors, e => e.Code == "PoisonMessage");
    }

    [Fact]
    public async Task A_poisoned_metrics_message_is_recorded_as_its_message_failed_with_a_one_based_reason()
    {
        await using var app = ProcessingApp.Create(_azurite, _sandbox);
        var id = (await app.PostMetricsAsync(ProcessingApp.Metrics(150))).IngestionId;
        var messages = await app.TakeMessagesAsync(app.Names.MetricsQueue);
        await app.MetricsProcessor().ProcessAsync(messages[0], 1, CancellationToken.None);

        await app.PoisonHandler().HandleMetricsAsync(messages[1], "queue-message-id-1", CancellationToken.None); // as the host moved it

        var record = (await app.Store.GetAsync(id, CancellationToken.None))!;
        Assert.Equal((IngestionStatus.PartlySucceeded, 100, 50), (record.Status, record.Created, record.Failed));
        var error = Assert.Single(record.Errors);
        Assert.Equal(("PoisonMessage", $"Message 2 of 2 failed 5 times and was moved to {app.Names.MetricsQueue}-poison."), (error.Code, error.Detail));
    }

    [Fact]
    public async Task A_poisoned_calendar_message_fails_its_ingestion()
    {
        await using var app = ProcessingApp.Create(_azurite, _sandbox);
        var id = (await app.DeleteCalendarEventAsync("evt-poison")).IngestionId;
        var message = Assert.Single(await app.TakeMessagesAsync(app.Names.CalendarEventsQueue));

        await app.PoisonHandler().HandleCalendarEventAsync(message, "queue-message-id-2", CancellationToken.None);

        var record = (await app.Store.GetAsync(id, CancellationToken.None))!;
        Assert.Equal(IngestionStatus.Failed, record.Status);
        Assert.Equal($"Message 1 of 1 failed 5 times and was moved to {app.Names.CalendarEventsQueue}-poison.", Assert.Single(record.Errors).Detail);
    }

    [Fact]
    public async Task An_unparseable_poison_message_is_kept_in_the_unattributed_queue_and_logged_by_its_id_only()
    {
        await using var app = ProcessingApp.Create(_azurite, _sandbox);

        await app.PoisonHandler().HandleMetricsAsync("PATIENT-DATA not json", "queue-message-id-3", CancellationToken.None);

        await app.AssertNothingStoredOrQueuedAsync();
        Assert.Equal(["PATIENT-DATA not json"], await app.DecodedMessagesAsync(app.Names.MetricsQueue + "-unattributed"));
        var records = app.Logs.GetSnapshot();
        Assert.Contains(records, r => r.Message.Contains("queue-message-id-3", StringComparison.Ordinal));
        Assert.DoesNotContain(records, r => r.Message.Contains("PATIENT-DATA", StringComparison.Ordinal));
    }

    [Fact]
    public void Host_json_configures_the_queue_extension_the_processors_rely_on()
    {
        var queues = JsonNode.Parse(File.ReadAllText(RepoPaths.InRepo("host.json")))!["extensions"]!["queues"]!;

        Assert.Equal(IngestionQueues.MaxDequeueCount, queues["maxDequeueCount"]!.GetValue<int>());
        Assert.Equal("base64", queues["messageEncoding"]!.GetValue<string>()); // what IngestionQueues writes
        Assert.Equal(TimeSpan.FromSeconds(30), TimeSpan.Parse(queues["visibilityTimeout"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture));
        Assert.InRange(queues["batchSize"]!.GetValue<int>(), 1, 32);
        Assert.True(queues["newBatchThreshold"]!.GetValue<int>() >= 0);
        Assert.NotNull(queues["maxPollingInterval"]);
    }

    public static TheoryData<Type, string, string> Triggers() => new()
    {
        { typeof(ProcessMetricsFunction), nameof(ProcessMetricsFunction.Run), "%Storage:MetricsQueue%" },
        { typeof(ProcessCalendarEventsFunction), nameof(ProcessCalendarEventsFunction.Run), "%Storage:CalendarEventsQueue%" },
        { typeof(PoisonMessageFunctions), nameof(PoisonMessageFunctions.Metrics), "%Storage:MetricsQueue%-poison" },
        { typeof(PoisonMessageFunctions), nameof(PoisonMessageFunctions.CalendarEvents), "%Storage:CalendarEventsQueue%-poison" },
    };

    [Theory]
    [MemberData(nameof(Triggers))]
    public void Queue_triggers_name_the_storage_settings_and_the_TwineStorage_connection(Type type, string method, string queueName)
    {
        var parameter = type.GetMethod(method)!.GetParameters().Single(p => p.GetCustomAttribute<QueueTriggerAttribute>() is not null);
        var trigger = parameter.GetCustomAttribute<QueueTriggerAttribute>()!;

        Assert.Equal(queueName, trigger.QueueName);
        Assert.Equal(StorageConnectionOptions.SettingName, trigger.Connection);
        // The queue extension's own QueueMessage (text decoded from base64 by the host, dequeue count, id), not binding data read by hand.
        Assert.Equal(typeof(Azure.Storage.Queues.Models.QueueMessage), parameter.ParameterType);
        // The setting named inside %...% is the one StorageOptions binds, so the edge and the trigger share the queue.
        var setting = queueName.Split('%')[1].Split(':');
        Assert.Equal(StorageOptions.SectionName, setting[0]);
        Assert.NotNull(typeof(StorageOptions).GetProperty(setting[1]));
    }
}

using System.Globalization;
using Microsoft.Azure.Functions.Worker;

namespace Twine.Functions.Processing;

/// <summary>What the queue trigger passes beside the message text (binding data <c>DequeueCount</c> and <c>Id</c>).</summary>
public static class QueueTriggerData
{
    public static long DequeueCount(FunctionContext context) =>
        long.TryParse(Read(context, "DequeueCount"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var count) ? count : 0;

    public static string? MessageId(FunctionContext context) => Read(context, "Id")?.Trim('"');

    private static string? Read(FunctionContext context, string name)
    {
        foreach (var (key, value) in context.BindingContext.BindingData)
        {
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
            {
                return Convert.ToString(value, CultureInfo.InvariantCulture);
            }
        }

        return null;
    }
}

using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Twine.Functions.Platform.Health;

/// <summary>
/// The Functions host disables a function whose trigger names an app setting (<c>%Storage:MetricsQueue%</c>) that is
/// missing, while HTTP goes on accepting and queueing: nothing would process what was accepted. Unhealthy, naming each
/// function and the missing setting as it is set in Azure (<c>Storage__MetricsQueue</c>). The bindings are read from
/// the app's own [Function] methods, so a new trigger is covered without a change here.
/// </summary>
public sealed partial class TriggerSettingsHealthCheck(IConfiguration configuration) : IHealthCheck
{
    private static readonly Lazy<IReadOnlyList<TriggerSetting>> AppBindings = new(() => FindBindings(typeof(TriggerSettingsHealthCheck).Assembly));

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var missing = AppBindings.Value.Where(b => string.IsNullOrWhiteSpace(configuration[b.Setting])).ToList();
        return Task.FromResult(missing.Count == 0
            ? HealthCheckResult.Healthy($"every trigger's setting is set ({AppBindings.Value.Count} bindings)")
            : HealthCheckResult.Unhealthy("disabled by the host, app setting missing: " +
                string.Join("; ", missing.Select(m => $"{m.Function} ({m.AppSettingName})"))));
    }

    /// <summary>Every <c>%setting%</c> a [Function] method's trigger or binding attributes name.</summary>
    public static IReadOnlyList<TriggerSetting> FindBindings(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        var found = new List<TriggerSetting>();
        foreach (var method in assembly.GetTypes().SelectMany(t => t.GetMethods()))
        {
            if (method.GetCustomAttribute<FunctionAttribute>() is not { } function)
            {
                continue;
            }

            foreach (var attribute in method.GetParameters().SelectMany(p => p.GetCustomAttributes()))
            {
                foreach (var property in attribute.GetType().GetProperties().Where(p => p.PropertyType == typeof(string) && p.CanRead))
                {
                    if (property.GetValue(attribute) is not string text)
                    {
                        continue;
                    }

                    foreach (Match match in SettingReference().Matches(text))
                    {
                        found.Add(new TriggerSetting(function.Name, match.Groups[1].Value));
                    }
                }
            }
        }

        return [.. found.Distinct().OrderBy(b => b.Function, StringComparer.Ordinal)];
    }

    [GeneratedRegex("%([^%]+)%")]
    private static partial Regex SettingReference();
}

/// <param name="Setting">As configuration reads it (<c>Storage:MetricsQueue</c>).</param>
public sealed record TriggerSetting(string Function, string Setting)
{
    /// <summary>As an app setting is named in Azure (<c>Storage__MetricsQueue</c>).</summary>
    public string AppSettingName => Setting.Replace(":", "__", StringComparison.Ordinal);
}

using System.ComponentModel.DataAnnotations;

namespace Twine.Functions.Platform.Hosting;

/// <summary>
/// <see cref="RangeAttribute"/> whose <see cref="ValidationAttribute.ErrorMessage"/> is kept under the options validation
/// source generator (<c>[OptionsValidator]</c>). The generator swaps the framework's <see cref="RangeAttribute"/> for a
/// generated copy that ignores <c>ErrorMessage</c> (dotnet/runtime#123137); a range whose start-up error must name the
/// setting as it is configured (<c>Processing:RetryFor</c>) uses this type instead, which the generator leaves as it is.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false)]
internal sealed class SettingRangeAttribute(Type type, string minimum, string maximum) : RangeAttribute(type, minimum, maximum);

package deploy

import (
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// registerInput copies every registrable field of td, leaving out what ECS fills in itself
// (taskDefinitionArn, revision, status, requiresAttributes, compatibilities, registered*/deregistered*),
// keeps the tags and sets container's image. It returns the input and the image it replaced.
func registerInput(td *types.TaskDefinition, tags []types.Tag, container, image string) (*ecs.RegisterTaskDefinitionInput, string, error) {
	if td == nil {
		return nil, "", fmt.Errorf("ECS described no task definition")
	}
	containers := slices.Clone(td.ContainerDefinitions)
	i := slices.IndexFunc(containers, func(c types.ContainerDefinition) bool { return aws.ToString(c.Name) == container })
	if i < 0 {
		return nil, "", fmt.Errorf("container %q is not in task definition %s, which has %s: set the service's container to one of them",
			container, aws.ToString(td.TaskDefinitionArn), containerNames(td.ContainerDefinitions))
	}
	oldImage := aws.ToString(containers[i].Image)
	containers[i].Image = aws.String(image)
	return &ecs.RegisterTaskDefinitionInput{
		ContainerDefinitions:          containers,
		Family:                        td.Family,
		Cpu:                           td.Cpu,
		EnableFaultInjection:          td.EnableFaultInjection,
		EphemeralStorage:              td.EphemeralStorage,
		ExecutionRoleArn:              td.ExecutionRoleArn,
		InferenceAccelerators:         td.InferenceAccelerators,
		IpcMode:                       td.IpcMode,
		Memory:                        td.Memory,
		NetworkMode:                   td.NetworkMode,
		PidMode:                       td.PidMode,
		PlacementConstraints:          td.PlacementConstraints,
		ProxyConfiguration:            td.ProxyConfiguration,
		RequiresCompatibilities:       td.RequiresCompatibilities,
		RuntimePlatform:               td.RuntimePlatform,
		Tags:                          tags,
		TaskRoleArn:                   td.TaskRoleArn,
		TrustedExecutionConfiguration: td.TrustedExecutionConfiguration,
		Volumes:                       td.Volumes,
	}, oldImage, nil
}

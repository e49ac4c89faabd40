package minioadmin

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// ServerInfo is the part of MinIO's server information we use: deployment
// mode, region and each server with its drives.
type ServerInfo struct {
	Mode         string // "online" once the deployment serves requests
	Region       string
	DeploymentID string
	Servers      []ServerProperties
}

// ServerProperties describes one MinIO server process.
type ServerProperties struct {
	Endpoint string
	State    string // "online" or "offline"
	Version  string
	CommitID string
	Uptime   int64 // seconds
	Drives   []Drive
}

// Drive is one drive of a server.
type Drive struct {
	Endpoint       string
	Path           string
	State          string // "ok" when in service; "offline", "faulty", "unformatted", ... otherwise
	UUID           string
	TotalSpace     uint64
	UsedSpace      uint64
	AvailableSpace uint64
}

// driveStateOK is the state MinIO reports for a drive in service.
const driveStateOK = "ok"

// Version returns the MinIO version the first server reports that has one.
// In a rolling upgrade servers differ; look at Servers for each.
func (s ServerInfo) Version() string {
	for _, srv := range s.Servers {
		if srv.Version != "" {
			return srv.Version
		}
	}
	return ""
}

// DrivesOnline counts drives in state "ok" across all servers.
func (s ServerInfo) DrivesOnline() int {
	n := 0
	for _, srv := range s.Servers {
		for _, d := range srv.Drives {
			if d.State == driveStateOK {
				n++
			}
		}
	}
	return n
}

// DrivesOffline counts drives in any other state across all servers.
func (s ServerInfo) DrivesOffline() int {
	n := 0
	for _, srv := range s.Servers {
		n += len(srv.Drives)
	}
	return n - s.DrivesOnline()
}

// ServerInfo returns the deployment's servers and drives.
func (c *Client) ServerInfo(ctx context.Context) (ServerInfo, error) {
	body, err := c.do(ctx, request{method: http.MethodGet, op: "info", resendable: true})
	if err != nil {
		return ServerInfo{}, err
	}
	var w struct {
		Mode         string `json:"mode"`
		Region       string `json:"region"`
		DeploymentID string `json:"deploymentID"`
		Servers      []struct {
			Endpoint string `json:"endpoint"`
			State    string `json:"state"`
			Version  string `json:"version"`
			CommitID string `json:"commitID"`
			Uptime   int64  `json:"uptime"`
			Drives   []struct {
				Endpoint   string `json:"endpoint"`
				Path       string `json:"path"`
				State      string `json:"state"`
				UUID       string `json:"uuid"`
				TotalSpace uint64 `json:"totalspace"`
				UsedSpace  uint64 `json:"usedspace"`
				AvailSpace uint64 `json:"availspace"`
			} `json:"drives"`
		} `json:"servers"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return ServerInfo{}, fmt.Errorf("minioadmin: info: decode answer: %w", err)
	}
	info := ServerInfo{Mode: w.Mode, Region: w.Region, DeploymentID: w.DeploymentID}
	for _, s := range w.Servers {
		p := ServerProperties{Endpoint: s.Endpoint, State: s.State, Version: s.Version,
			CommitID: s.CommitID, Uptime: s.Uptime}
		for _, d := range s.Drives {
			p.Drives = append(p.Drives, Drive{Endpoint: d.Endpoint, Path: d.Path, State: d.State,
				UUID: d.UUID, TotalSpace: d.TotalSpace, UsedSpace: d.UsedSpace, AvailableSpace: d.AvailSpace})
		}
		info.Servers = append(info.Servers, p)
	}
	return info, nil
}
